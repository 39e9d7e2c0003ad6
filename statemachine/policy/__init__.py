"""The policy language: load YAML text, check every rule, build the model.

`parse_policy` is the slow, thorough path (ruamel.yaml, every check); it runs
when a policy is checked or applied. Commands read the cached plain form
instead (`model.from_plain`).
"""

from __future__ import annotations

import os

from ..errors import PolicyInvalid, PolicyProblem
from ..limits import MAX_POLICY_BYTES
from .model import Policy


def parse_policy(text: str, file: str) -> Policy:
    """Check `text` (named `file` in errors); raise PolicyInvalid listing every problem."""
    from .check import check_tree
    from .load import load_tree

    root, problems = load_tree(text, file)
    if root is None:
        raise PolicyInvalid(problems)
    policy, more = check_tree(root, file)
    problems = sorted(problems + more, key=lambda p: (p.line, p.col))
    if problems or policy is None:
        raise PolicyInvalid(problems)
    return policy


def read_policy_file(path: str) -> tuple[str, Policy]:
    """Read and check a policy file; unreadable files are a PolicyInvalid too."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_POLICY_BYTES + 1)  # no more: an oversized file is refused unread
            size = os.fstat(handle.fileno()).st_size if len(raw) > MAX_POLICY_BYTES else len(raw)
    except OSError as error:
        raise PolicyInvalid([PolicyProblem(path, 1, 1, f"cannot read the file: {error.strerror}")]) from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyInvalid([PolicyProblem(
            path, 1, 1, f"the file is {max(size, len(raw)):,} bytes, over the limit of 1 MB for a policy "
                        f"({MAX_POLICY_BYTES:,} bytes); a policy is a few pages of YAML: check this is the right file",
        )])
    if raw.startswith(b"\xef\xbb\xbf"):  # a byte-order mark some editors add
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        col = len(raw[line_start : error.start].decode("utf-8", errors="replace")) + 1
        raise PolicyInvalid(
            [PolicyProblem(path, line, col, "the file is not UTF-8 text; save it as UTF-8 in your editor")]
        ) from None
    return text, parse_policy(text, path)
