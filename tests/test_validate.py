from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from hmsync.cli import main
from hmsync.files.fastcheck import FAST_KEYWORDS
from hmsync.files.schema import _validator, check_paths, is_valid, schema

from .conftest import EXAMPLE_ENV, EXAMPLES, Run, Write
from .strategies import fuzz_values, templates

BAD = """\
name: y z/
roles:
  host:
    publishParms: {}
    publishParams:
      video: {bitRate: 5000, codec: h264}
      allowed: [audio, vid]
    subscribeParams: {subscribeToRoles: [ghost]}
    priority: 0
    renamedFrom: guest
  guest: {}
settings:
  region: mars
  recording:
    upload: {type: s3, location: b, prefix: p, credentials: {key: "", secret: plain}}
foo: 1
"""


def test_every_problem_at_once_one_line_each(run: Run, write: Write) -> None:
    write("templates/bad.yaml", BAD)
    result = run("validate")
    assert result.code == 1
    assert result.err == ""
    assert result.out.splitlines() == [
        "templates/bad.yaml:1:7: name: 'y z/' has characters the API does not accept; "
        "use a-z A-Z 0-9, space, hyphen, dot, underscore and colon",
        "templates/bad.yaml:4:5: roles.host.publishParms: unknown key; did you mean 'publishParams'?",
        "templates/bad.yaml:6:24: warning: roles.host.publishParams.video.bitRate: 5000 is "
        "outside the documented range 30-2000; the API may refuse it",
        "templates/bad.yaml:6:37: roles.host.publishParams.video.codec: 'h264' is not a "
        "documented value (vp8); use 'vp8'",
        "templates/bad.yaml:7:24: roles.host.publishParams.allowed[1]: 'vid' is not a "
        "documented value (audio, video, screen); did you mean 'video'?",
        "templates/bad.yaml:8:42: warning: roles.host.subscribeParams.subscribeToRoles[0]: "
        "role 'ghost' is not defined in this template; did you mean 'host'?",
        "templates/bad.yaml:9:15: warning: roles.host.priority: 0 is outside the documented "
        "range 1-10; the API may refuse it",
        "templates/bad.yaml:10:18: roles.host.renamedFrom: 'guest' is also defined in this file; "
        "renamedFrom names a role that no longer exists under that name",
        "templates/bad.yaml:13:11: settings.region: 'mars' is not a documented value "
        "(in, us, eu, auto); use one of them",
        "templates/bad.yaml:15:67: settings.recording.upload.credentials.key: (sensitive value) "
        "should be non-empty",
        "templates/bad.yaml:15:67: warning: settings.recording.upload.credentials.key: credential "
        "written literally; use ${HMSYNC_...} so the secret stays out of the repository",
        "templates/bad.yaml:15:79: warning: settings.recording.upload.credentials.secret: "
        "credential written literally; use ${HMSYNC_...} so the secret stays out of the repository",
        "templates/bad.yaml:16:1: foo: unknown key; expected one of: default, name, renamedFrom, roles, settings",
        "1 file checked: 8 errors, 5 warnings.",
    ]
    assert "plain" not in result.out


def test_warnings_alone_pass_and_strict_fails(run: Run, write: Write) -> None:
    write("t.yaml", "name: a\nroles:\n  host:\n    subscribeParams: {subscribeToRoles: [ghost]}\n")
    warned = run("validate", "t.yaml")
    assert warned.code == 0
    assert warned.out.splitlines() == [
        "t.yaml:4:42: warning: roles.host.subscribeParams.subscribeToRoles[0]: "
        "role 'ghost' is not defined in this template; did you mean 'host'?",
        "1 file checked: 0 errors, 1 warning.",
    ]
    strict = run("validate", "t.yaml", "--strict")
    assert strict.code == 1
    assert strict.out.splitlines()[0] == (
        "t.yaml:4:42: roles.host.subscribeParams.subscribeToRoles[0]: "
        "role 'ghost' is not defined in this template; did you mean 'host'?"
    )


def test_names_unique_and_one_default_across_files(run: Run, write: Write) -> None:
    write("t/a.yaml", "name: same\ndefault: true\n")
    write("t/b.yaml", "default: true\nname: same\n")
    result = run("validate", "t")
    assert result.code == 1
    assert result.out.splitlines() == [
        "t/b.yaml:1:10: default: only one template may be the default; t/a.yaml:2:10 already "
        "says true",
        "t/b.yaml:2:7: name: template 'same' is also defined at t/a.yaml:1:7; names must be unique",
        "2 files checked: 2 errors, 0 warnings.",
    ]


def test_renamed_from_checks(run: Run, write: Write) -> None:
    write(
        "t.yaml",
        "name: a\nroles:\n  x: {renamedFrom: x}\n  y: {renamedFrom: old}\n  z: {renamedFrom: old}\n",
    )
    result = run("validate", "t.yaml")
    assert result.out.splitlines()[:3] == [
        "t.yaml:3:20: roles.x.renamedFrom: a role cannot be renamed from itself",
        "t.yaml:4:20: roles.y.renamedFrom: 'old' is renamed into more than one role",
        "t.yaml:5:20: roles.z.renamedFrom: 'old' is renamed into more than one role",
    ]


def test_missing_name_and_required_upload_fields(run: Run, write: Write) -> None:
    write("t.yaml", "roles: {}\nsettings:\n  recording:\n    upload: {type: s3}\n")
    assert run("validate", "t.yaml").out.splitlines()[:3] == [
        "t.yaml:1:1: missing required key 'name'",
        "t.yaml:4:13: settings.recording.upload: missing required key 'location'",
        "t.yaml:4:13: settings.recording.upload: missing required key 'prefix'",
    ]


def test_wrong_types_are_located(run: Run, write: Write) -> None:
    write("t.yaml", "name: a\nroles:\n  host:\n    priority: high\n    permissions: [mute]\n")
    assert run("validate", "t.yaml").out.splitlines()[:2] == [
        "t.yaml:4:15: roles.host.priority: 'high' is not of type 'integer'",
        "t.yaml:5:18: roles.host.permissions: ['mute'] is not of type 'object'",
    ]


def test_environment_rules_from_the_cli(run: Run, write: Write) -> None:
    write("t.yaml", "name: ${HMSYNC_T}\nroles:\n  ${NOT_OURS}: {}\n")
    ok = run("validate", "t.yaml", env={"HMSYNC_T": "from-env"})
    assert ok.code == 0
    write("u.yaml", "name: ${HOME}\n")
    bad = run("validate", "u.yaml", env={"HOME": "/root"})
    assert bad.code == 1
    assert bad.out.splitlines()[0] == (
        "u.yaml:1:7: name: ${HOME} is not allowed: only variables whose names start with HMSYNC_ "
        "are read from the environment (rename it HMSYNC_HOME)"
    )


def test_json_format(run: Run, write: Write) -> None:
    write("t.yaml", "name: a\nroles:\n  host: {priority: 11}\n")
    result = run("validate", "t.yaml", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "format_version": 1,
        "files": 1,
        "errors": 0,
        "warnings": 1,
        "notes": 0,
        "problems": [
            {
                "file": "t.yaml",
                "line": 3,
                "col": 20,
                "path": "roles.host.priority",
                "severity": "warning",
                "message": "11 is outside the documented range 1-10; the API may refuse it",
            }
        ],
    }


def test_out_of_range_values_are_warnings_errors_with_strict(run: Run, write: Write) -> None:
    # The seed's own data holds screen height 1086 (documented 270-1080): export writes such
    # files, so validate must pass them; --strict (for a team that wants none) refuses them.
    write("t.yaml", "name: a\nroles:\n  r: {publishParams: {screen: {height: 1086, bitRate: 1}}}\n")
    warned = run("validate", "t.yaml")
    assert (warned.code, warned.out) == (
        0,
        "t.yaml:3:40: warning: roles.r.publishParams.screen.height: 1086 is outside the "
        "documented range 270-1080; the API may refuse it\n"
        "t.yaml:3:55: warning: roles.r.publishParams.screen.bitRate: 1 is outside the documented "
        "minimum 500; the API may refuse it\n"
        "1 file checked: 0 errors, 2 warnings.\n",
    )
    strict = run("validate", "t.yaml", "--strict")
    assert strict.code == 1 and strict.out.endswith("1 file checked: 2 errors, 0 warnings.\n")


def test_whole_number_floats_are_integers(run: Run, write: Write) -> None:
    from hmsync.files.schema import check_paths

    path = write(
        "t.yaml",
        "name: a\nroles:\n  r: {priority: 2.0, publishParams: {video: {bitRate: 300.0}}}\n",
    )
    assert run("validate", "t.yaml").code == 0
    [doc] = check_paths([str(path)]).documents
    video = doc.data["roles"]["r"]["publishParams"]["video"]
    assert (video["bitRate"], type(video["bitRate"])) == (300, int)
    assert type(doc.data["roles"]["r"]["priority"]) is int
    # A float from an environment's variable is coerced too; a file of ints only is left be.
    var = write("v.yaml", "name: c\nroles:\n  r: {priority: '${vars.p}'}\n")
    [doc] = check_paths([str(var)], variables={"p": 3.0}).documents
    assert (doc.floats, type(doc.data["roles"]["r"]["priority"])) == (True, int)
    whole = write(
        "w.yaml", "name: d\nroles:\n  r: {priority: 3, publishParams: {allowed: [audio]}}\n"
    )
    assert check_paths([str(whole)]).documents[0].floats is False
    write("u.yaml", "name: b\nroles:\n  r: {priority: 2.5}\n")
    assert run("validate", "u.yaml").out.startswith(
        "u.yaml:3:17: roles.r.priority: 2.5 is not of type 'integer'"
    )


def test_github_format_escapes_annotation_fields(run: Run, write: Write) -> None:
    write("a,b.yaml", "name: a\nroles:\n  host: {priority: 11}\n")
    result = run("validate", "a,b.yaml", "--format", "github")
    assert result.out.splitlines() == [
        "::warning file=a%2Cb.yaml,line=3,col=20::roles.host.priority: 11 is outside the "
        "documented range 1-10; the API may refuse it",
        "1 file checked: 0 errors, 1 warning.",
    ]


def test_missing_path_and_empty_folder(run: Run, write: Write, tmp_path: Path) -> None:
    missing = run("validate")
    assert missing.code == 1
    assert missing.err == (
        "hmsync: templates: no such file or folder; pass the files or folders of your templates\n"
    )
    (tmp_path / "empty").mkdir()
    assert (
        run("validate", "empty").err == "hmsync: empty: no *.yaml or *.yml files in this folder\n"
    )


def test_examples_validate_clean(run: Run) -> None:
    result = run("validate", str(EXAMPLES), env=EXAMPLE_ENV)
    assert result.code == 0
    assert result.out.endswith("3 files checked: no problems.\n")


def test_examples_carry_the_schema_comment() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/template.schema.json"


def test_schema_is_valid_2020_12_and_printed_by_the_cli(run: Run) -> None:
    Draft202012Validator.check_schema(schema())
    printed = run("schema")
    assert printed.code == 0
    assert json.loads(printed.out) == schema()
    repo_copy = Path(__file__).resolve().parent.parent / "schemas" / "template.schema.json"
    assert json.loads(repo_copy.read_text()) == schema()


def test_schema_forbids_unknown_keys_everywhere() -> None:
    def walk(node: object) -> int:
        count = 0
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, node.get("description")
                count += 1
            for value in node.values():
                count += walk(value)
        return count

    assert walk(schema()) == 14  # the template and the seed's 13 other objects


def test_schema_defaults_are_the_documented_ones() -> None:
    defs = schema()["$defs"]

    def defaults(name: str) -> dict[str, object]:
        return {k: v["default"] for k, v in defs[name]["properties"].items() if "default" in v}

    assert defaults("audio") == {"bitRate": 32, "codec": "opus"}
    assert defaults("video") == {
        "bitRate": 256,
        "codec": "vp8",
        "frameRate": 25,
        "height": 180,
        "width": 320,
    }
    assert defaults("screen") == {
        "bitRate": 1024,
        "codec": "vp8",
        "frameRate": 10,
        "height": 720,
        "width": 1280,
    }
    assert defaults("subscribeDegradation") == {
        "packetLossThreshold": 50,
        "degradeGracePeriodSeconds": 1,
        "recoverGracePeriodSeconds": 4,
    }
    assert defaults("options") == {"region": "ap-south-1"}


def test_installed_console_script_never_shows_a_traceback(write: Write, tmp_path: Path) -> None:
    write("bad.yaml", b"\x00\xff{{{")
    proc = subprocess.run(
        [sys.executable, "-m", "hmsync", "validate", "bad.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith("bad.yaml:1:2: not UTF-8 (byte 0xff)")


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _no_crash(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(content)
    code = main(["validate", str(path), "--format", "json"], {})
    assert code in (0, 1)
    checked = check_paths([str(path)], {})
    for problem in checked.problems:
        assert problem.location.line >= 1 and problem.location.col >= 1


@FUZZ
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_crashes(tmp_path: Path, text: str) -> None:
    _no_crash(tmp_path, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(tmp_path: Path, raw: bytes) -> None:
    _no_crash(tmp_path, raw)


@FUZZ
@given(value=fuzz_values)
def test_arbitrary_yaml_never_crashes(tmp_path: Path, value: object) -> None:
    _no_crash(tmp_path, yaml.safe_dump(value).encode())


def test_usage_errors_exit_1_not_2(run: Run) -> None:
    # 2 means "changes present" to CI jobs; a typo in the flags must not look like drift.
    result = run("drift", "--no-such-flag")
    assert result.code == 1
    assert result.err == (
        "hmsync: unrecognized arguments: --no-such-flag (hmsync --help for usage)\n"
    )
    assert run("--version").code == 0


def test_wrong_types_never_reach_the_semantic_checks_as_crashes(run: Run, write: Write) -> None:
    write(
        "t.yaml",
        "name: a\nroles:\n  x: {renamedFrom: []}\n  y: {subscribeParams: {subscribeToRoles: [[1]]}}\n",
    )
    result = run("validate", "t.yaml")
    assert result.code == 1
    assert result.out.splitlines()[:2] == [
        "t.yaml:3:20: roles.x.renamedFrom: [] is not of type 'string'",
        "t.yaml:4:44: roles.y.subscribeParams.subscribeToRoles[0]: [1] is not of type 'string'",
    ]


# -- the fast validity check agrees with jsonschema ------------------------------------------


def test_the_schema_uses_only_keywords_the_fast_check_understands() -> None:
    used: set[str] = set()

    def walk(node: object, in_properties: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not in_properties and key != "$defs":
                    used.add(key)
                walk(value, in_properties=key in ("properties", "$defs") and not in_properties)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema())
    assert used - {"$ref"} <= FAST_KEYWORDS


def mutate(data: object, draw: st.DrawFn) -> object:
    """A valid template with one part replaced by something arbitrary."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        return {**data, key: mutate(data[key], draw)}
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], mutate(data[i], draw), *data[i + 1 :]]
    return draw(
        fuzz_values
        | st.floats(allow_nan=False)
        | st.sampled_from(
            ["audio", "vp8", "opus", "in", True, 1, 1.0, 0, 5000, -1, "", "a/b", [], {}]
        )
    )


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_fast_check_and_jsonschema_agree(data: st.DataObject) -> None:
    template = data.draw(templates())
    for _ in range(data.draw(st.integers(0, 3))):
        template = mutate(template, data.draw)
    assert is_valid(template) == _validator().is_valid(template)


def test_validate_needs_no_secrets_unless_asked(run: Run, write: Write) -> None:
    # The pre-commit hook must pass on a laptop without the production secrets.
    write(
        "templates/t.yaml",
        "name: t\nsettings:\n  recording:\n    upload:\n      type: s3\n      location: b\n"
        "      prefix: p\n      credentials:\n        key: ${HMSYNC_S3_KEY}\n"
        "        secret: ${HMSYNC_S3_SECRET}\n",
    )
    noted = run("validate", env={})
    assert (noted.code, noted.out) == (
        0,
        "templates/t.yaml:9:14: note: settings.recording.upload.credentials.key: HMSYNC_S3_KEY is "
        "not set; checked as a placeholder (plan and apply need it; --require-env makes this an "
        "error)\n"
        "templates/t.yaml:10:17: note: settings.recording.upload.credentials.secret: "
        "HMSYNC_S3_SECRET is not set; checked as a placeholder (plan and apply need it; "
        "--require-env makes this an error)\n"
        "1 file checked: 0 errors, 0 warnings, 2 notes.\n",
    )
    github = run("validate", "--format", "github", env={})
    assert github.out.startswith("::notice file=templates/t.yaml,line=9,col=14::")
    required = run("validate", "--require-env", env={})
    assert required.code == 1 and required.out.endswith("1 file checked: 2 errors, 0 warnings.\n")
    planned = run("plan", env={"HMS_MANAGEMENT_TOKEN": "t"})
    assert planned.code == 1 and "environment variable HMSYNC_S3_KEY is not set" in planned.err


def test_typos_in_documented_values_are_errors_with_did_you_mean(run: Run, write: Write) -> None:
    # An enum value is a spelling, not a tuning: an error (so the pre-commit hook stops what
    # CI would refuse), with the value most likely meant. Ranges stay warnings.
    write(
        "templates/t.yaml",
        "name: w\nsettings: {region: india}\nroles:\n  host:\n    publishParams:\n"
        "      allowed: [audio, vidoe]\n      video: {codec: h264, bitRate: 5000}\n"
        "    subscribeParams: {subscribeToRoles: [gest]}\n  guest: {}\n",
    )
    result = run("validate")
    assert result.code == 1
    assert result.out.splitlines() == [
        "templates/t.yaml:2:20: settings.region: 'india' is not a documented value "
        "(in, us, eu, auto); did you mean 'in'?",
        "templates/t.yaml:6:24: roles.host.publishParams.allowed[1]: 'vidoe' is not a "
        "documented value (audio, video, screen); did you mean 'video'?",
        "templates/t.yaml:7:22: roles.host.publishParams.video.codec: 'h264' is not a "
        "documented value (vp8); use 'vp8'",
        "templates/t.yaml:7:37: warning: roles.host.publishParams.video.bitRate: 5000 is "
        "outside the documented range 30-2000; the API may refuse it",
        "templates/t.yaml:8:42: warning: roles.host.subscribeParams.subscribeToRoles[0]: "
        "role 'gest' is not defined in this template; did you mean 'guest'?",
        "1 file checked: 3 errors, 2 warnings.",
    ]


def test_a_v2_typo_in_a_documented_value_is_an_error(run: Run, write: Write) -> None:
    write(
        "templates/t.yaml",
        "name: w\nroles:\n  host:\n    publishParams: {allowed: [audio, screne]}\n",
    )
    result = run("validate", "--api", "v2")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "templates/t.yaml:4:38: roles.host.publishParams.allowed[1]: 'screne' is not a "
        "documented value (audio, video, screen, simulcast); did you mean 'screen'?"
    )


def test_a_duplicate_key_is_one_problem_among_the_others(run: Run, write: Write) -> None:
    """Every problem at once, a duplicate key too: the rest of the file is still checked
    (the last value stands, as YAML keeps it)."""
    write(
        "templates/t.yaml",
        "name: t\nroles:\n  host: {priority: 1}\n  host: {priority: 98}\n  guest: {prioritty: 1}\n",
    )
    result = run("validate", "--no-cache", env={})
    assert (result.code, result.out) == (
        1,
        "templates/t.yaml:4:3: roles.host: duplicate key 'host' (first at line 3); YAML would "
        "keep only the last one, so remove or rename one of them\n"
        "templates/t.yaml:4:20: warning: roles.host.priority: 98 is outside the documented "
        "range 1-10; the API may refuse it\n"
        "templates/t.yaml:5:11: roles.guest.prioritty: unknown key; did you mean 'priority'?\n"
        "1 file checked: 2 errors, 1 warning.\n",
    )
