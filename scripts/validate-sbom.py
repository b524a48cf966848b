#!/usr/bin/env python3
"""Validates SBOM and VEX documents: `validate-sbom.py cyclonedx FILE...` checks each file
against the official CycloneDX 1.6 JSON schema with cyclonedx-python-lib's strict validator
(pip install 'cyclonedx-python-lib[json-validation]'); `validate-sbom.py openvex FILE...`
checks each against tests/schemas/openvex-0.2.0.schema.json with jsonschema (formats
checked). `validate-sbom.py --check` only says whether the validators can be imported.

Prints `ok FILE` or `invalid FILE: problem` per file; exits 1 when any file is invalid,
3 when the validators are missing."""

import json
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "tests/schemas/openvex-0.2.0.schema.json"


def main(argv):
    try:
        import jsonschema
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
    except ImportError as e:
        print(f"validator missing: {e}", file=sys.stderr)
        return 3
    if argv[1:] == ["--check"]:
        print("validators available")
        return 0
    if len(argv) < 2 or argv[1] not in ("cyclonedx", "openvex"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, files = argv[1], argv[2:]
    bad = 0
    if kind == "cyclonedx":
        validator = JsonStrictValidator(SchemaVersion.V1_6)
        for f in files:
            error = validator.validate_str(Path(f).read_text())
            if error is None:
                print(f"ok {f}")
            else:
                bad += 1
                print(f"invalid {f}: {str(error).splitlines()[0]}")
    else:
        schema = json.loads(SCHEMA.read_text())
        cls = jsonschema.Draft202012Validator
        cls.check_schema(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        for f in files:
            errors = sorted(validator.iter_errors(json.loads(Path(f).read_text())), key=str)
            if not errors:
                print(f"ok {f}")
            else:
                bad += 1
                e = errors[0]
                print(f"invalid {f}: {e.message} at {list(e.absolute_path)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
