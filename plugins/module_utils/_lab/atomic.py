# -*- coding: utf-8 -*-
# Copyright (c) vnet.linux contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files replaced whole: the exported script and networkd files on the
managed host, the lab's pictures and reports on the controller (the
lab_files action imports this; it imports nothing else of the collection)."""

from __future__ import annotations

import os
import tempfile


def write_atomically(path, data, mode):
    """Put `data` (text or bytes) at `path` with `mode`: a reader sees the
    old file or the new one, never a part (a temporary file in the same
    directory, renamed over it)."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.vnet-')
    try:
        with os.fdopen(handle, 'wb') as out:
            os.fchmod(out.fileno(), mode)
            out.write(data if isinstance(data, bytes) else data.encode('utf-8'))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


__all__ = ['write_atomically']
