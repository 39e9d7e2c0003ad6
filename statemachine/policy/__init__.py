"""The policy language: load YAML text, check every rule, build the model.

`parse_policy` is the slow, thorough path (ruamel.yaml, every check); it runs
when a policy is checked or applied. Commands read the cached plain form
instead (`model.from_plain`).
"""

from __future__ import annotations

from ..errors import PolicyInvalid, PolicyProblem
from .model import Policy


def parse_policy(text: str, file: str) -> Policy:
    """Check `text` (named `file` in errors); raise PolicyInvalid listing every problem."""
    from .check import check_tree
    from .load import load_tree

    if "\x00" in text:
        raise PolicyInvalid([PolicyProblem(file, 1, 1, "the file contains a NUL byte; is it really a YAML policy?")])
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
            raw = handle.read()
    except OSError as error:
        raise PolicyInvalid([PolicyProblem(path, 1, 1, f"cannot read the file: {error.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PolicyInvalid([PolicyProblem(path, line, 1, "the file is not UTF-8 text; save it as UTF-8")]) from None
    return text, parse_policy(text, path)
