#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: lab_files
short_description: Write a lab's pictures and reports on the controller (internal to the lab role)
description:
  - Internal to the P(vnet.linux.lab#role) role, which writes its pictures,
    tables and run reports with it; not meant for playbooks. Its options
    may change without a deprecation period.
  - Writes each of O(files) to C(<path>.<key>) on the controller, replacing a
    file only when its content differs (the directory is made when needed),
    and draws C(<path>.svg) from the C(dot) entry when O(svg=true) and
    Graphviz's C(dot) binary is installed.
  - An action plugin that runs in the controller process; nothing is sent
    to the managed host.
version_added: 1.0.0
author:
  - vnet.linux developers (@vnet-linux)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Writes nothing in check mode; RV(written) lists the files that would be written.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The text of each file that changes, before and after (not of the SVG).
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
    details: Changed exactly when the content of a file changes (or the SVG is drawn anew).
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
    details: Runs on the controller (an action plugin), whatever the managed host is.
options:
  path:
    description:
      - Base path of the files; the directory is created. A relative path
        is taken from the controller's current working directory.
    type: path
    required: true
  files:
    description: File name suffix (like C(mmd) or C(up.json)) to content.
    type: dict
    required: true
  svg:
    description: Draw C(<path>.svg) from the C(dot) entry of O(files) with Graphviz.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Pictures of a lab
  vnet.linux.lab_files:
    path: /tmp/lab-output/localhost/demo
    files:
      mmd: "{{ topology | vnet.linux.lab_mermaid }}"
      dot: "{{ topology | vnet.linux.lab_dot }}"
    svg: true
'''

RETURN = r'''
written:
  description: Files whose content was new or different (in check mode, that would be written).
  returned: always
  type: list
  elements: str
unchanged:
  description: Files that already had this content.
  returned: always
  type: list
  elements: str
svg:
  description:
    - What happened to the SVG - V(written), V(unchanged), or a text that
      starts with V(skipped) (no Graphviz) or V(failed) (with dot's message).
  returned: when O(svg=true) and O(files) has C(dot)
  type: str
'''
