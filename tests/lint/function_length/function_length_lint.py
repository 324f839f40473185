#!/usr/bin/env python3
"""Function-length lint: no function body in our production code is longer than 70 lines.

A function that fits on one screen can be read at once; past that, control flow belongs
in the parent and the work in short, pure leaves. The lint finds every function body in
base/, zk/, consensus/, node/ and wallet/ (generated code lives in the build tree and is
not seen) and counts the lines from its opening brace to its closing brace. A function
longer than LIMIT fails the lint unless it is in EXCEPTIONS with a length at least as
long as it is now: the list may only shrink. An exception that is gone or has become
shorter must be removed or lowered (the lint says so), so the list stays true.

Finding bodies: comments and literals are blanked, then a '{' that follows a closing
parenthesis (with optional qualifiers, a trailing return type or a constructor's
initializer list in between) and opens at namespace or class scope starts a function
body. Lambdas and local classes inside a function count as part of it.

Usage: function_length_lint.py <repo root>     lint the tree
       function_length_lint.py --list <root>   print every function over LIMIT
       function_length_lint.py --self-test     check the lint on planted files
"""
import os
import re
import sys
import tempfile

LIMIT = 70
SOURCE_EXTENSIONS = (".h", ".cc")
TOPS = ("base", "zk", "consensus", "node", "wallet")

# "path:function" -> lines it has today. May only shrink.
EXCEPTIONS = {
}


# The determinism lint's comment and literal blanking (digit separators, raw strings),
# shared so both lints read C++ the same way.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "determinism"))
from determinism_lint import strip  # noqa: E402


def blank(text):
    """Blanks comments, string and char literals (keeping newlines)."""
    return strip(text, keep_strings=False)


# What may stand between a parameter list's ')' and the body's '{'.
TAIL_RE = re.compile(
    r"\)\s*(?:const\b|override\b|final\b|noexcept\b(?:\([^()]*\))?|mutable\b|&&|&|\s)*"
    r"(?:->\s*[\w:<>,\s*&]+?)?\s*(?:requires\b[^{;]*)?$")
INIT_LIST_RE = re.compile(r"\)\s*(?:noexcept\b\s*)?:\s*[\w:]+\s*[({][\s\S]*[)}]\s*$")
NAME_RE = re.compile(r"([~\w:]+(?:operator\s*[^\s(]+)?)\s*\([^;{}]*$")
MEMBER_INIT_RE = re.compile(r"\)\s*(?:noexcept\b\s*)?:[^;{}]*\w\s*$")
CONTROL = {"if", "for", "while", "switch", "catch", "return", "sizeof", "decltype"}


def matching_brace(code, i):
    depth = 0
    for k in range(i, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def functions(text):
    """Yields (name, first line, line count) of each function body at namespace/class
    scope."""
    code = blank(text)
    stack = []  # for each open brace: True if it is a function body
    start = 0   # index after the last ';', '{' or '}' at the current scope
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == "{":
            in_function = any(kind for kind, _, _ in stack)
            head = code[start:i]
            if not in_function and MEMBER_INIT_RE.search(head):
                i = matching_brace(code, i) + 1  # a member's brace initializer: S() : b_{x}
                continue
            is_body = False
            name = ""
            if not in_function:
                stripped = head.rstrip()
                if stripped.endswith(")") or TAIL_RE.search(stripped) or INIT_LIST_RE.search(stripped):
                    # Find the function name: the identifier before the first '(' of the
                    # declarator at depth 0 of the head.
                    depth = 0
                    for k, ch in enumerate(head):
                        if ch == "(":
                            if depth == 0:
                                m = re.search(r"([~\w:]+(?:operator\s*\S+?)?)\s*$", head[:k])
                                word = m.group(1) if m else ""
                                if word and word.split("::")[-1] not in CONTROL:
                                    name = word
                                    is_body = True
                                break
                            depth += 1
                        elif ch == ")":
                            depth -= 1
            stack.append((is_body, name, code.count("\n", 0, i) + 1))
            start = i + 1
        elif c == "}":
            if stack:
                is_body, name, first = stack.pop()
                if is_body:
                    last = code.count("\n", 0, i) + 1
                    yield name, first, last - first + 1
            start = i + 1
        elif c == ";":
            if not any(kind for kind, _, _ in stack):
                start = i + 1
        i += 1


def long_functions(root):
    found = {}
    for top in TOPS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for fname in sorted(filenames):
                if not fname.endswith(SOURCE_EXTENSIONS):
                    continue
                path = os.path.join(dirpath, fname)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for name, first, count in functions(text):
                    if count > LIMIT:
                        key = f"{rel}:{name}"
                        if key in found:
                            key = f"{key}@{first}"
                        found[key] = (count, first)
    return found


def check(root, exceptions):
    problems = []
    found = long_functions(root)
    for key, (count, first) in sorted(found.items()):
        allowed = exceptions.get(key)
        if allowed is None:
            problems.append(f"{key.split(':')[0]}:{first}: {key.split(':', 1)[1]} is {count} "
                            f"lines (limit {LIMIT}): split it")
        elif count > allowed:
            problems.append(f"{key}: grew to {count} lines (exception allows {allowed}): "
                            "exceptions may only shrink")
    for key, allowed in sorted(exceptions.items()):
        if key not in found:
            problems.append(f"{key}: listed as an exception but no longer over {LIMIT} "
                            "lines: remove it from EXCEPTIONS")
        elif found[key][0] < allowed:
            problems.append(f"{key}: now {found[key][0]} lines, exception says {allowed}: "
                            "lower it")
    return problems


def self_test():
    body = "\n".join(f"  x += {i};" for i in range(LIMIT))  # LIMIT lines + 2 braces
    short = "\n".join(f"  x += {i};" for i in range(LIMIT - 3))  # LIMIT lines in all
    files = {
        "node/a.cc": (
            "namespace hito {\n"
            f"int Long(int x) {{\n{body}\n  return x;\n}}\n"
            f"int Short(int x) {{\n{short}\n  return x;\n}}\n"
            "struct S {\n"
            f"  int Member(int x) const {{\n{body}\n    return x;\n  }}\n"
            "};\n"
            f"S::S(int x) : a_(x), b_{{x}} {{\n{body}\n}}\n"
            "}  // namespace hito\n"),
        "consensus/b.h": (
            "struct T { int v[3] = {1, 2, 3}; };\n"
            f"inline auto Trailing(int x) -> int {{\n  if (x) {{\n{body}\n  }}\n  return x;\n}}\n"),
    }
    failures = []
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        found = long_functions(root)
        expect = {"node/a.cc:Long", "node/a.cc:Member", "node/a.cc:S::S", "consensus/b.h:Trailing"}
        if set(found) != expect:
            failures.append(f"found {sorted(found)}, expected {sorted(expect)}")
        if len(check(root, {})) != len(expect):
            failures.append("check() without exceptions must report every long function")
        ok = {k: v[0] for k, v in found.items()}
        if check(root, ok):
            failures.append(f"exact exceptions must pass: {check(root, ok)}")
        grown = dict(ok)
        grown["node/a.cc:Long"] -= 1
        if not any("grew" in p for p in check(root, grown)):
            failures.append("a function longer than its exception must fail")
        stale = dict(ok)
        stale["node/a.cc:Gone"] = 80
        if not any("no longer" in p for p in check(root, stale)):
            failures.append("a stale exception must fail")
    for f in failures:
        print("self-test: " + f)
    print("self-test: " + ("ok" if not failures else f"{len(failures)} problems"))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) == 3 and argv[1] == "--list":
        for key, (count, first) in sorted(long_functions(argv[2]).items(), key=lambda kv: -kv[1][0]):
            print(f'    "{key}": {count},')
        return 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check(argv[1], EXCEPTIONS)
    for p in problems:
        print(p)
    print(f"function-length lint: {len(problems)} problem(s), {len(EXCEPTIONS)} listed exceptions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
