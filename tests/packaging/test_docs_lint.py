"""The docs lint passes whatever name antsibull-docs gives its temporary copy.

The lint used to fail on every plugin, about once in 37 runs, with
'Unknown target name: "antsibull-docs-<random>"': the copy's path leaked into
each plugin's "Edit on GitHub" link, and a random part ending in "_" made it
an RST reference. underscore_tmp/ on PYTHONPATH makes every run that unlucky
one; scripts/docs-build.sh --lint-only must pass all the same.
"""

import os

from conftest import ROOT, run

UNLUCKY = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'underscore_tmp')


def test_docs_lint_with_an_underscore_at_the_end_of_the_temporary_name(tmp_path):
    record = tmp_path / 'made.txt'
    env = dict(os.environ, PYTHONPATH=UNLUCKY, VNET_TMP_RECORD=str(record))
    proc = run([os.path.join(ROOT, 'scripts', 'docs-build.sh'), '--lint-only'], env)
    output = proc.stdout + proc.stderr
    made = record.read_text().split() if record.exists() else []
    assert made and all(os.path.basename(path).endswith('_') for path in made), output
    assert proc.returncode == 0, output
    assert 'Unknown target name' not in output, output
