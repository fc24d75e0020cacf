"""The one JSON reader for user files (configs, matrices, manifests): strict, like the option parser.

``json.loads`` silently keeps the last of two equal keys (``{"lanes": 1, "lanes": 2}``) and accepts
``NaN``/``Infinity``, which are not JSON; both are refused here with a ``json.JSONDecodeError`` (a
``ValueError``) whose ``msg`` names the key or constant (docs/failures.md).
"""

from __future__ import annotations

import json


def loads(text: str):
    """``json.loads`` that refuses duplicate keys in an object and the constants NaN, Infinity, -Infinity."""

    def pairs(items):
        obj = {}
        for key, value in items:
            if key in obj:
                raise json.JSONDecodeError(f"key {key!r} is given twice", text, text.rfind(json.dumps(key)))
            obj[key] = value
        return obj

    def constant(name):
        raise json.JSONDecodeError(f"{name} is not a JSON number", text, max(text.find(name), 0))

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
