# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's own failures (a module reports them as its message)."""

from __future__ import annotations


class EngineError(Exception):
    """A failure the module reports as its message."""


class GuardRefusal(EngineError):
    """A step was refused before anything changed (ownership, lock-out,
    port take-over)."""
