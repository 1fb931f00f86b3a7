"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py to seed pip into the virtualenvs of its
sanity tests. Only package registries are reachable here, so scripts/run
places this file where ansible-test caches that download: it seeds pip from
the interpreter's own ensurepip, then installs what was asked from PyPI.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'],
                      stdout=subprocess.DEVNULL)
ARGS = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + ARGS)
