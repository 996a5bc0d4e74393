"""Reading jsonschema-rs errors the way a person would: which field, and in a union, which branch.

Shared by the reference server (its 400s name `param`) and `aitre conform` (its findings name the
field of an answer that breaks its schema), so both point at the same place for the same error.
"""

from __future__ import annotations

import jsonschema_rs


def error_depth(error: jsonschema_rs.ValidationError) -> int:
    """How far into the instance an error points; a missing property counts as one level below its object."""
    return len(error.instance_path) + isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required)


def deepest_error(error: jsonschema_rs.ValidationError) -> jsonschema_rs.ValidationError:
    """For a failed anyOf/oneOf, the most telling error of the branch most likely meant.

    "not valid under any of the given schemas" names only the union. A branch that fails on a `const`
    (a discriminator such as `role` or `type`) is another variant; among the others, the one whose error
    sits deepest wins (a text part missing `text`, rather than "not an image part").
    """
    context = getattr(error.kind, "context", None)
    if not context:
        return error
    best, best_score = error, (False, error_depth(error))
    for branch in context:
        if not branch:
            continue
        other_variant = any(isinstance(item.kind, jsonschema_rs.ValidationErrorKind.Constant) for item in branch)
        candidate = max((deepest_error(item) for item in branch), key=error_depth)
        score = (not other_variant, error_depth(candidate))
        if score > best_score:
            best, best_score = candidate, score
    return best
