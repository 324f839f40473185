#!/usr/bin/env python3
"""Extracts the RFC 9497 ristretto255-SHA512 VOPRF-mode vectors (Appendix A.1.2).

Reads the authors' machine-readable vector file (poc/vectors/allVectors.json of
github.com/cfrg/draft-irtf-cfrg-voprf at tag draft-irtf-cfrg-voprf-21, the draft approved
as RFC 9497) and copies the entry with identifier "ristretto255-SHA512" and mode 1
verbatim, every value as the upstream string, under a header saying where it came from.
If the draft's source text (draft-irtf-cfrg-voprf.md at the same tag, whose test-vector
appendix is the RFC's Appendix A) is given, every field of every vector is compared with
the text's "### VOPRF Mode" section of "## ristretto255-SHA512" and the script stops on
any difference.

Usage: extract_rfc9497_voprf.py allVectors.json [draft.md] > voprf_ristretto255_sha512.json
"""
import collections
import json
import re
import sys

IDENTIFIER = "ristretto255-SHA512"
MODE_VOPRF = 1
UPSTREAM = {
    "repository": "https://github.com/cfrg/draft-irtf-cfrg-voprf",
    "path": "poc/vectors/allVectors.json",
    "tag": "draft-irtf-cfrg-voprf-21",
    "commit": "befa0568ee98c042e09811ce572f759235e0ce44",
}


def upstream_entry(all_vectors):
    found = [e for e in all_vectors
             if e.get("identifier") == IDENTIFIER and e.get("mode") == MODE_VOPRF]
    if len(found) != 1:
        sys.exit("expected one %s mode %d entry, found %d" % (IDENTIFIER, MODE_VOPRF, len(found)))
    return found[0]


def text_section(markdown):
    """The VOPRF-mode block of the ristretto255-SHA512 test vectors in the draft's text."""
    start = markdown.index("\n## " + IDENTIFIER + "\n")
    start = markdown.index("\n### VOPRF Mode\n", start)
    end = markdown.index("\n### POPRF Mode\n", start)
    return markdown[start:end]


def text_values(block):
    """'Name = hex' assignments of each ~~~ block, continuation lines joined."""
    blocks = re.findall(r"~~~\n(.*?)~~~", block, re.S)
    parsed = []
    for b in blocks:
        values = collections.OrderedDict()
        name = None
        for line in b.splitlines():
            m = re.match(r"^(\w+) = (.*)$", line)
            if m:
                name = m.group(1)
                values[name] = m.group(2).strip()
            elif name is not None:
                values[name] += line.strip()
        parsed.append(values)
    return parsed


def cross_check(entry, markdown):
    blocks = text_values(text_section(markdown))
    keys, vectors = blocks[0], blocks[1:]
    checks = 0
    for field in ("skSm", "pkSm"):
        assert keys[field] == entry[field], field
        checks += 1
    assert keys["Seed"] == entry["seed"] and keys["KeyInfo"] == entry["keyInfo"]
    checks += 2
    assert len(vectors) == len(entry["vectors"]), "vector count"
    for text, v in zip(vectors, entry["vectors"]):
        pairs = [("Input", v["Input"]), ("Blind", v["Blind"]),
                 ("BlindedElement", v["BlindedElement"]),
                 ("EvaluationElement", v["EvaluationElement"]),
                 ("Proof", v["Proof"]["proof"]), ("ProofRandomScalar", v["Proof"]["r"]),
                 ("Output", v["Output"])]
        for name, value in pairs:
            if text[name] != value:
                sys.exit("draft text and JSON differ in %s: %s vs %s" % (name, text[name], value))
            checks += 1
    return checks


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        entry = upstream_entry(json.load(f, object_pairs_hook=collections.OrderedDict))
    doc = collections.OrderedDict()
    doc["name"] = "OPRF(ristretto255, SHA-512) test vectors, VOPRF mode"
    doc["source"] = ("RFC 9497, Appendix A.1.2 (ristretto255-SHA512, VOPRF Mode); protocol in "
                     "sections 3.2.1, 3.3.2 (proofs: 2.2) and ciphersuite in section 4.1")
    doc["upstream"] = UPSTREAM
    doc["extracted_by"] = "tests/vectors/tools/extract_rfc9497_voprf.py (values copied verbatim)"
    doc["format"] = (
        "The upstream entry's fields, unchanged. Byte strings are lowercase hex; a batch of B "
        "> 1 lists B comma-separated values in Input, Blind, BlindedElement, "
        "EvaluationElement and Output. Proof.proof is c || s (two 32-byte little-endian "
        "scalars), one proof for the whole batch; Proof.r is the proof's random scalar (the "
        "RFC's ProofRandomScalar). groupDST is the HashToGroup DST.")
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            checks = cross_check(entry, f.read())
        doc["cross_check"] = (
            "All %d values agree with the VOPRF Mode section of ristretto255-SHA512 in the "
            "test-vector appendix of draft-irtf-cfrg-voprf.md at the same tag (the RFC's "
            "Appendix A text)." % checks)
    for key, value in entry.items():
        doc[key] = value
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
