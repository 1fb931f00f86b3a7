"""Give antsibull-docs' temporary folders a name that ends in "_".

tempfile.mkdtemp draws its random part from letters, digits and "_": one
folder in 37 ends in "_", and a path such as
.../antsibull-docs-k2x9q_/ansible_collections/... in RST text reads as a
reference to the target "antsibull-docs-k2x9q". test_docs_lint.py puts this
folder on PYTHONPATH so that every run is that unlucky one. Each folder made
is appended to the file named by VNET_TMP_RECORD, to show the patch ran.
"""

import os
import tempfile

_mkdtemp = tempfile.mkdtemp
PREFIX = 'antsibull-docs-'


def _unlucky_mkdtemp(suffix=None, prefix=None, dir=None):
    if not (prefix or '').startswith(PREFIX):
        return _mkdtemp(suffix, prefix, dir)
    path = _mkdtemp(suffix, prefix, dir)
    unlucky = path.rstrip('/') + '_'
    os.rename(path, unlucky)
    record = os.environ.get('VNET_TMP_RECORD')
    if record:
        with open(record, 'a') as f:
            f.write(unlucky + '\n')
    return unlucky


tempfile.mkdtemp = _unlucky_mkdtemp
