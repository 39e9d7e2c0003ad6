"""The policy expression language: checking guard and checklist expressions
and compiling them into fast, null-safe Python closures.

The user's text is only ever parsed (``ast.parse``) and checked against a
whitelist; the code that runs is a new Python tree built here, compiled once,
with no builtins.  Error messages are written for the people who edit
policies, not for Python programmers.
"""
from __future__ import annotations

import ast
import operator
import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any, ClassVar, TypeVar

from .record import Record

__all__ = ["ExprError", "Expr", "compile_expr"]

FUNCTIONS = ("len", "lower", "upper")
CONSTANT_NAMES = {"true": True, "false": False, "null": None}
CALLS_REFUSED = "function calls are not allowed, except len(), lower(), upper()"


class ExprError(Exception):
    """A bad expression: `reason` in plain words, `offset` the 0-based
    character offset in the source where the problem starts."""

    def __init__(self, reason: str, offset: int = 0) -> None:
        super().__init__(reason)
        self.reason: str = reason
        self.offset: int = offset


class Expr(Record):
    source: str
    names: frozenset[str]
    fn: Callable[[Mapping[str, Any]], Any]

    def __call__(self, env: Mapping[str, Any]) -> Any:
        return self.fn(env)

    def holds(self, env: Mapping[str, Any]) -> bool:
        return bool(self.fn(env))


# --- runtime helpers: the only things compiled expressions can call ---------
# Policies run against half-filled leads, so a missing value or a type clash
# yields false/null instead of an exception that would block a transition.

def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:  # the common case; cheaper than raising
            return False
        try:
            return op(a, b)
        except TypeError:  # 'abc' < 5
            return False
    return compare


def _arithmetic(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def compute(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        try:
            return op(a, b)
        except (TypeError, ZeroDivisionError, OverflowError):
            return None
    return compute


def _in(a: Any, b: Any) -> bool:
    if b is None:
        return False
    try:
        return a in b
    except TypeError:  # 5 in 'abc'
        return False


_mul_numbers = _arithmetic(operator.mul)  # a 400-digit whole number * 1.5 overflows: null


def _mul(a: Any, b: Any) -> Any:
    # Numbers only: 'x' * 10**9 would let a policy allocate gigabytes.
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return _mul_numbers(a, b)
    return None


def _neg(a: Any) -> Any:
    return -a if isinstance(a, (int, float)) else None


def _len(a: Any) -> Any:
    try:
        return None if a is None else len(a)
    except TypeError:
        return None


def _lower(a: Any) -> Any:
    return a.lower() if isinstance(a, str) else None


def _upper(a: Any) -> Any:
    return a.upper() if isinstance(a, str) else None


_GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "_lt": _ordered(operator.lt), "_le": _ordered(operator.le),
    "_gt": _ordered(operator.gt), "_ge": _ordered(operator.ge),
    "_add": _arithmetic(operator.add), "_sub": _arithmetic(operator.sub),
    "_div": _arithmetic(operator.truediv),
    "_in": _in, "_mul": _mul, "_neg": _neg, "_len": _len, "_lower": _lower, "_upper": _upper,
}
_COMPARE_HELPERS = {ast.Lt: "_lt", ast.LtE: "_le", ast.Gt: "_gt", ast.GtE: "_ge", ast.In: "_in"}
_ARITH_HELPERS = {ast.Add: "_add", ast.Sub: "_sub", ast.Mult: "_mul", ast.Div: "_div"}
_OP_TEXT = {ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@",
            ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|",
            ast.BitXor: "^", ast.Is: "is", ast.IsNot: "is not", ast.UAdd: "+",
            ast.Invert: "~"}
_OP_HINT = {ast.BitAnd: "; write 'and'", ast.BitOr: "; write 'or'",
            ast.Is: "; use == or !=", ast.IsNot: "; use == or !="}
_REFUSED = {
    ast.Attribute: "'.' is not allowed; write the field name on its own",
    ast.Subscript: "picking items with [...] is not allowed",
    ast.Lambda: "'lambda' is not allowed",
    ast.IfExp: "'... if ... else ...' is not allowed; use 'and' / 'or'",
    ast.ListComp: "'for' inside an expression is not allowed",
    ast.SetComp: "'for' inside an expression is not allowed",
    ast.DictComp: "'for' inside an expression is not allowed",
    ast.GeneratorExp: "'for' inside an expression is not allowed",
    ast.JoinedStr: "f-strings are not allowed; use a plain 'string'",
    ast.NamedExpr: "':=' is not allowed; to compare, write ==",
    ast.Dict: "curly braces {...} are not allowed; use a list [...]",
    ast.Set: "curly braces {...} are not allowed; use a list [...]",
    ast.Tuple: "a group of values with commas is not allowed here; use a list [a, b]",
    ast.Starred: "'*' in front of a value is not allowed",
}


_Node = TypeVar("_Node", bound=ast.AST)


def _mk(cls: type[_Node], *args: Any) -> _Node:
    # Every generated node gets a dummy location up front: compile() needs one
    # and ast.fix_missing_locations() would cost more than the rest of the work.
    return cls(*args, lineno=1, col_offset=0)  # type: ignore[call-arg]  # typeshed's AST takes no location; its node classes do


class _Checker:
    """Walks the user's tree once, refusing anything off the whitelist and
    building the replacement tree that will actually run."""

    def __init__(self, text: str, base: int, known: Collection[str],
                 choices: Mapping[str, Collection[str]] | None = None) -> None:
        self.text, self.base, self.known = text, base, known
        self.choices = choices or {}
        self.names: set[str] = set()
        self.temps = 0

    def offset(self, node: ast.AST, end: bool = False) -> int:
        col: int = node.end_col_offset if end else node.col_offset  # type: ignore[attr-defined]
        # ast columns count UTF-8 bytes; callers want characters.
        if not self.text.isascii():
            col = len(self.text.encode()[:col].decode(errors="ignore"))
        return self.base + col

    def after(self, node: ast.AST) -> int:
        """Offset of the first token after `node` (an operator, '.', '['),
        skipping the spaces and closing parentheses in between."""
        i = self.offset(node, end=True) - self.base
        while i < len(self.text) and self.text[i] in " \t)":
            i += 1
        return self.base + i

    def segment(self, node: ast.AST) -> str:
        start, end = self.offset(node) - self.base, self.offset(node, end=True) - self.base
        return repr(self.text[start:end])

    def visit(self, node: ast.AST) -> ast.expr:
        method = self.ALLOWED.get(type(node))
        if method is not None:
            return method(self, node)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            raise ExprError(_REFUSED[type(node)], self.after(node.value))
        reason = _REFUSED.get(type(node)) or f"{self.segment(node)} is not allowed"
        raise ExprError(reason, self.offset(node))

    def constant(self, node: ast.Constant) -> ast.expr:
        if node.value is None or isinstance(node.value, (bool, int, float, str)):
            return _mk(ast.Constant, node.value)
        raise ExprError(f"{self.segment(node)} is not a value this language knows",
                        self.offset(node))

    def name(self, node: ast.Name) -> ast.expr:
        name = node.id
        if name in CONSTANT_NAMES:
            return _mk(ast.Constant, CONSTANT_NAMES[name])
        if name.startswith("_"):
            raise ExprError(f"names starting with '_' are not allowed ('{name}')", self.offset(node))
        if name not in self.known:
            raise ExprError(_unknown_name(name, self.known, self.choices), self.offset(node))
        self.names.add(name)
        get = _mk(ast.Attribute, _mk(ast.Name, "e", ast.Load()), "get", ast.Load())
        return _mk(ast.Call, get, [_mk(ast.Constant, name)], [])

    def bool_op(self, node: ast.BoolOp) -> ast.expr:
        return _mk(ast.BoolOp, type(node.op)(), [self.visit(v) for v in node.values])

    def unary_op(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.Not):
            return _mk(ast.UnaryOp, ast.Not(), self.visit(node.operand))
        if isinstance(node.op, ast.USub):
            return self.helper("_neg", self.visit(node.operand))
        raise ExprError(f"'{_OP_TEXT[type(node.op)]}' in front of a value is not allowed",
                        self.offset(node))

    def bin_op(self, node: ast.BinOp) -> ast.expr:
        op = type(node.op)
        if op not in _ARITH_HELPERS:
            raise ExprError(f"'{_OP_TEXT[op]}' is not allowed{_OP_HINT.get(op, '')} "
                            "(arithmetic allows + - * /)", self.after(node.left))
        return self.helper(_ARITH_HELPERS[op], self.visit(node.left), self.visit(node.right))

    def list_(self, node: ast.List) -> ast.expr:
        return _mk(ast.List, [self.visit(v) for v in node.elts], ast.Load())

    def call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            raise ExprError(CALLS_REFUSED, self.offset(func))
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ExprError(f"{func.id}() takes exactly one value, like {func.id}(email)",
                            self.offset(node))
        return self.helper(f"_{func.id}", self.visit(node.args[0]))

    def compare(self, node: ast.Compare) -> ast.expr:
        # A chain `a < b < c` becomes `a < (t := b) and t < c`: every operand
        # runs once and a false link stops the rest, exactly as in Python.
        left, prev = self.visit(node.left), node.left
        links: list[ast.expr] = []
        last = len(node.ops) - 1
        for i, (op, right_node) in enumerate(zip(node.ops, node.comparators)):
            kind = type(op)
            if kind in _OP_TEXT:
                raise ExprError(f"'{_OP_TEXT[kind]}' is not allowed{_OP_HINT[kind]}",
                                self.after(prev))
            self.check_choice(prev, kind, right_node)
            if kind in (ast.In, ast.NotIn):
                right = self.membership_list(right_node)
            else:
                right = self.visit(right_node)
            if i < last:
                self.temps += 1
                temp = f"t{self.temps}"
                right = _mk(ast.NamedExpr, _mk(ast.Name, temp, ast.Store()), right)
            if kind in (ast.Eq, ast.NotEq):
                links.append(_mk(ast.Compare, left, [kind()], [right]))
            elif kind is ast.NotIn:
                links.append(_mk(ast.UnaryOp, ast.Not(), self.helper("_in", left, right)))
            else:
                links.append(self.helper(_COMPARE_HELPERS[kind], left, right))
            if i < last:
                left = _mk(ast.Name, temp, ast.Load())
            prev = right_node
        return links[0] if len(links) == 1 else _mk(ast.BoolOp, ast.And(), links)

    def check_choice(self, left: ast.AST, kind: type, right: ast.AST) -> None:
        """A choice field compared with text that is none of its values can
        never hold (`persona == 'exec'`): say so, naming the values."""
        if kind in (ast.Eq, ast.NotEq):
            pairs = [(left, right), (right, left)]
        elif kind in (ast.In, ast.NotIn) and isinstance(right, ast.List):
            pairs = [(left, item) for item in right.elts]
        else:
            return
        for name, literal in pairs:
            if not isinstance(name, ast.Name) or name.id not in self.choices:
                continue
            if not isinstance(literal, ast.Constant) or not isinstance(literal.value, str):
                continue
            values = self.choices[name.id]
            if literal.value not in values:
                by_lower = {str(v).lower(): str(v) for v in values}
                import difflib  # only needed on this error path

                close = difflib.get_close_matches(literal.value.lower(), by_lower, n=1)
                hint = f"; did you mean '{by_lower[close[0]]}'?" if close else ""
                raise ExprError(
                    f"'{literal.value}' is not one of the values of {name.id}{hint} "
                    f"(values: {', '.join(str(v) for v in values)})",
                    self.offset(literal),
                )

    def membership_list(self, node: ast.AST) -> ast.expr:
        # `x in ['a', 'b']` with only literals: build the tuple once, not per call.
        checked = self.visit(node)
        if isinstance(checked, ast.List) and all(isinstance(v, ast.Constant) for v in checked.elts):
            return _mk(ast.Constant, tuple(v.value for v in checked.elts))  # type: ignore[attr-defined]
        return checked

    @staticmethod
    def helper(name: str, *args: ast.expr) -> ast.expr:
        return _mk(ast.Call, _mk(ast.Name, name, ast.Load()), list(args), [])

    ALLOWED: ClassVar[dict[type, Callable[[Any, Any], ast.expr]]] = {
        ast.Constant: constant, ast.Name: name, ast.BoolOp: bool_op, ast.UnaryOp: unary_op,
        ast.BinOp: bin_op, ast.Compare: compare, ast.List: list_, ast.Call: call,
    }


def _unknown_name(name: str, known: Collection[str], choices: Mapping[str, Collection[str]] | None = None) -> str:
    for holder, values in (choices or {}).items():
        if name in values:  # a value written without its quotes: `state == SQL`
            return f"'{name}' is a value of {holder}, not a name: put it in quotes, like {holder} == '{name}'"
    if not known:
        return f"unknown name '{name}' (no names are known here)"
    import difflib  # only needed on this error path

    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), by_lower, n=1)
    hint = f"; did you mean '{by_lower[close[0]]}'?" if close else ""
    return f"unknown name '{name}'{hint} (known: {', '.join(sorted(known))})"


def _syntax_reason(text: str, err: SyntaxError, at: int) -> str:
    msg = (err.msg or "invalid syntax").split(" (detected at")[0]
    if msg.startswith("Exceeds the limit"):
        msg = "a number is too long"
    elif text[at:at + 2] in ("=<", "=>"):
        msg = f"write {text[at + 1]}= instead of ={text[at + 1]}"
    elif text[at:at + 1] == "=" and text[at:at + 2] != "==":
        msg = "to compare, write == instead of ="
    elif "&&" in text or "||" in text:
        msg = "write 'and' / 'or' instead of && / ||"
    elif text[at:at + 1] == "!" and text[at:at + 2] != "!=":
        msg = "write 'not' instead of !"
    elif msg.startswith("invalid syntax"):  # Python's words; say what is wrong instead
        rest = text[at:].split()
        found = f"unexpected {rest[0][:20]!r}" if rest else "it ends too early"
        msg = found + msg[len("invalid syntax"):]
    return f"this is not a valid expression: {msg}"


def compile_expr(source: str, known_names: Collection[str],
                 choices: Mapping[str, Collection[str]] | None = None) -> Expr:
    """Check `source` against the language and compile it; raises ExprError.

    `choices` (choice field -> its values), when given, also refuses comparing
    a choice field with text that is not one of its values."""
    # Policies may fold an expression over several YAML lines; one line keeps
    # offsets simple and each character keeps its index in `source`.
    flat = source.replace("\r", " ").replace("\n", " ")
    text = flat.lstrip()
    base = len(flat) - len(text)  # eval mode refuses leading spaces as an indent
    if not text.strip():
        raise ExprError("the expression is empty", 0)
    try:
        if "\\" in text:  # don't let escape-sequence warnings reach the user
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, mode="eval")
        else:
            tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        # offset is 1-based in characters; 0/None means 'at the very end'.
        at = min(err.offset - 1, len(text)) if err.offset else len(text.rstrip())
        raise ExprError(_syntax_reason(text, err, at), base + at) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("this expression is too deeply nested or too long", 0) from None
    checker = _Checker(text, base, known_names, choices)
    try:
        body = checker.visit(tree.body)
        args = ast.arguments(posonlyargs=[], args=[_mk(ast.arg, "e")], kwonlyargs=[],
                             kw_defaults=[], defaults=[])
        code_tree = ast.Expression(_mk(ast.Lambda, args, body))
        fn = eval(compile(code_tree, "<policy expression>", "eval"), _GLOBALS)
    except RecursionError:
        raise ExprError("this expression is too deeply nested", 0) from None
    return Expr(source, frozenset(checker.names), fn)
