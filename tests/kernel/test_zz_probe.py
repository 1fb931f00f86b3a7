import pytest
from conftest import run_module
from test_impairment import pair  # noqa


@pytest.mark.guest_kernel
def test_probe(pair):
    a, _b = pair
    out = []
    for extra in ({'delay': '10ms', 'jitter': '1ms', 'delay_correlation': '25%'},
                  {'loss': '0.1%', 'loss_correlation': '10%'},
                  {'duplicate': '1%', 'duplicate_correlation': '5%'},
                  {'delay': '10ms', 'reorder': '10%', 'reorder_correlation': '20%'},
                  {'corrupt': '0.5%', 'corrupt_correlation': '3%'},
                  {'corrupt': '0.5%'},
                  {'rate': '100mbit'}, {'limit': 2000, 'delay': '1ms'},
                  {'delay': '10ms', 'jitter': '1ms'}, {'loss': '1%'}):
        for direction in ('egress', 'ingress'):
            r = run_module('impairment', dict(extra, name='va', netns=a, direction=direction))
            r2 = run_module('impairment', dict(extra, name='va', netns=a, direction=direction))
            out.append('%s %s -> %s / again changed=%s %s' % (extra, direction, r.get('msg') or r.get('impairment'), r2.get('changed'), r2.get('actions')))
    raise AssertionError('\n'.join(out))
