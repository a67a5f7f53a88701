#!/usr/bin/env python3
"""The GitHub Actions workflows in .github/workflows/, checked where they
cannot run: they parse, every job can start, every action is pinned, every
script they call is in the repository and executable, the ClusterFuzzLite
workflows fuzz the way .clusterfuzzlite/ builds, and the conformance workflow
publishes the junit.xml and summary.md where scripts/conform.sh really writes
them (checked against a real, one-scenario `shakedown conform` run).

Run by ctest (tests/CMakeLists.txt) with SHAKEDOWN_SOURCE_DIR, SHAKEDOWN_BIN
and SHAKEDOWN_PKI_DIR set. Exits 77 (skipped) where python3-yaml is missing
(scripts/install-deps.sh installs it).
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)

SRC = os.environ.get("SHAKEDOWN_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SHAKEDOWN_BIN") or os.path.join(SRC, "build", "default", "shakedown")
WORKFLOWS = os.path.join(SRC, ".github", "workflows")
CFLITE = os.path.join(SRC, ".clusterfuzzlite")

# A tag (v4, v4.2.1) or a full commit id: what a third-party action may be
# pinned to. A branch (main, master) moves under the workflow.
PINNED_REF = re.compile(r"^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# Steps that must run after a failed conformance run (exit 1 = findings):
# publishing the report of those findings is their whole point.
RUNS_AFTER_FAILURE = re.compile(r"always\(\)|!\s*cancelled\(\)|failure\(\)")
JUNIT_PUBLISHERS = {
    # action: the input naming the JUnit files
    "mikepenz/action-junit-report": "report_paths",
    "dorny/test-reporter": "path",
    "EnricoMi/publish-unit-test-result-action": "files",
}


class UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping: PyYAML
    keeps the last silently, GitHub refuses the workflow."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, "key %r given twice" % (key,), key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=UniqueKeyLoader)


def workflow_files():
    return sorted(os.path.join(WORKFLOWS, f) for f in os.listdir(WORKFLOWS) if f.endswith((".yml", ".yaml")))


def triggers(workflow):
    """The events of a workflow's `on:` (YAML 1.1 reads the key `on` as true)."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {event: None for event in on}
    return dict(on or {})


def steps_of(workflow):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, job, step


def action_name(step):
    """owner/repo[/path] of a step's `uses:`, without the ref."""
    return step.get("uses", "").split("@", 1)[0]


def git_index_mode(relpath):
    """The mode git records for relpath (e.g. '100755'), '' if it is not in
    the index, None where SRC is not a git checkout."""
    try:
        out = subprocess.run(["git", "-C", SRC, "ls-files", "-s", "--", relpath],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.split(" ", 1)[0] if out else ""


def tracked_top_dirs():
    try:
        out = subprocess.run(["git", "-C", SRC, "ls-files"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {e for e in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, e))}
    return {line.split("/", 1)[0] for line in out.splitlines() if "/" in line}


def shell_commands(script):
    """The simple commands of a run: script, each a list of words, with
    redirection targets left out. ${{ }} expressions become one word."""
    script = EXPRESSION.sub("EXPR", script.replace("\\\n", " "))
    commands = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words, skip_next = [], False
        for token in lexer:
            if skip_next:
                skip_next = False
            elif token in ("&&", "||", ";", "|", "&", "(", ")"):
                commands.append(words)
                words = []
            elif token.strip("0123456789") in (">", ">>", "<", ">&"):
                skip_next = True
            else:
                words.append(token)
        commands.append(words)
    return [c for c in commands if c]


def program_and_args(words):
    """The program a command runs and its arguments: past VAR=value
    assignments and the wrappers that run the next word."""
    while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in ("sudo", "env", "exec", "time")):
        words = words[1:]
    return (words[0], words[1:]) if words else (None, [])


class Workflows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = workflow_files()
        cls.workflows = {}
        cls.errors = {}
        for path in cls.files:
            try:
                cls.workflows[os.path.basename(path)] = load_yaml(path)
            except yaml.YAMLError as e:
                cls.errors[os.path.basename(path)] = str(e)
        cls.top_dirs = tracked_top_dirs()
        cls.project = load_yaml(os.path.join(CFLITE, "project.yaml"))

    def workflow(self, name):
        self.assertIn(name, self.workflows, "%s missing or not valid YAML" % name)
        return self.workflows[name]

    def in_repo_tree(self, word):
        """Whether a word of a command names a path under one of the
        repository's directories (build/ and runs/ are made by the workflow
        itself, and are not)."""
        if "/" not in word or word.startswith(("/", "$", "~", "-", "EXPR")):
            return False
        return os.path.normpath(word).split("/", 1)[0] in self.top_dirs

    def assert_in_repo(self, relpath, executable, where):
        """relpath is in the repository (so a fresh checkout has it) and, if
        a workflow runs it directly, executable there."""
        full = os.path.join(SRC, relpath)
        self.assertTrue(os.path.exists(full), "%s: %s does not exist" % (where, relpath))
        mode = git_index_mode(relpath)
        if mode is not None and not os.path.isdir(full):
            self.assertNotEqual(mode, "", "%s: %s is not tracked by git: a checkout lacks it" % (where, relpath))
        if executable:
            self.assertTrue(os.access(full, os.X_OK), "%s: %s is not executable" % (where, relpath))
            if mode is not None:
                self.assertEqual(mode, "100755", "%s: git records %s as %s, not executable" % (where, relpath, mode))

    # --- every workflow ----------------------------------------------------

    def test_expected_workflows_present(self):
        for name in ("cflite_pr.yml", "cflite_batch.yml", "conformance.yml"):
            self.assertIn(os.path.join(WORKFLOWS, name), self.files)

    def test_valid_yaml_with_name_triggers_and_jobs(self):
        self.assertEqual(self.errors, {}, "workflows that do not parse")
        for name, wf in self.workflows.items():
            with self.subTest(workflow=name):
                self.assertIsInstance(wf, dict)
                self.assertTrue(wf.get("name"), "no name")
                self.assertTrue(triggers(wf), "no `on:` events")
                self.assertIsInstance(wf.get("jobs"), dict)
                self.assertTrue(wf["jobs"], "no jobs")

    def test_every_job_has_runs_on_and_steps(self):
        for name, wf in self.workflows.items():
            for job_name, job in wf["jobs"].items():
                with self.subTest(workflow=name, job=job_name):
                    if "uses" in job:  # a reusable workflow's call has neither
                        continue
                    self.assertTrue(job.get("runs-on"), "no runs-on")
                    self.assertIsInstance(job.get("steps"), list)
                    self.assertTrue(job["steps"], "no steps")
                    for step in job["steps"]:
                        self.assertEqual(("uses" in step) + ("run" in step), 1,
                                         "a step needs exactly one of uses: and run: (%r)" % step)
                    for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
                        self.assertIn(need, wf["jobs"], "needs an unknown job")

    def test_every_action_is_pinned(self):
        for name, wf in self.workflows.items():
            for job_name, _, step in steps_of(wf):
                if "uses" not in step:
                    continue
                uses = step["uses"]
                with self.subTest(workflow=name, job=job_name, uses=uses):
                    self.assertNotRegex(uses, EXPRESSION, "an expression chooses the action")
                    if uses.startswith("./"):
                        self.assert_in_repo(uses[2:], False, name)
                    elif uses.startswith("docker://"):
                        self.assertRegex(uses, r":[\w.-]+$|@sha256:[0-9a-f]{64}$", "image without a tag")
                    else:
                        self.assertRegex(uses, r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@", "not owner/repo@ref")
                        self.assertRegex(uses.split("@", 1)[1], PINNED_REF, "not pinned to a tag or commit")

    def test_every_local_script_exists_and_is_executable(self):
        checked = 0
        for name, wf in self.workflows.items():
            for job_name, _, step in steps_of(wf):
                for words in shell_commands(step.get("run", "")):
                    program, args = program_and_args(words)
                    where = "%s, job %s: %r" % (name, job_name, " ".join(words))
                    if program in ("bash", "sh", "python3", "python") and "-c" not in args:
                        operands = [a for a in args if not a.startswith("-")]
                        if operands and self.in_repo_tree(operands[0]):
                            self.assert_in_repo(os.path.normpath(operands[0]), False, where)
                            checked += 1
                    elif self.in_repo_tree(program):
                        self.assert_in_repo(os.path.normpath(program), True, where)
                        checked += 1
                    # Files of the repository given as arguments
                    # (--baseline scenarios/known-failures.txt).
                    for arg in args:
                        if self.in_repo_tree(arg):
                            self.assert_in_repo(os.path.normpath(arg), False, where)
        self.assertGreater(checked, 0, "no run: step calls a script of the repository")

    # --- ClusterFuzzLite ---------------------------------------------------

    def cflite_jobs(self, name):
        """(job name, build step, run step, sanitizers) of each ClusterFuzzLite
        job of a workflow; sanitizers with ${{ matrix.sanitizer }} resolved."""
        jobs = []
        for job_name, job in self.workflow(name)["jobs"].items():
            steps = job.get("steps", [])
            build = [i for i, s in enumerate(steps) if action_name(s) == "google/clusterfuzzlite/actions/build_fuzzers"]
            run = [i for i, s in enumerate(steps) if action_name(s) == "google/clusterfuzzlite/actions/run_fuzzers"]
            if not build and not run:
                continue
            self.assertEqual(len(build), 1, "%s %s: one build_fuzzers step" % (name, job_name))
            self.assertEqual(len(run), 1, "%s %s: one run_fuzzers step" % (name, job_name))
            self.assertLess(build[0], run[0], "%s %s: run_fuzzers before build_fuzzers" % (name, job_name))
            build_step, run_step = steps[build[0]], steps[run[0]]
            build_with, run_with = build_step.get("with", {}), run_step.get("with", {})
            # Both steps must agree, or the fuzzers run are not the ones built.
            sanitizer = build_with.get("sanitizer", "address")
            self.assertEqual(sanitizer, run_with.get("sanitizer", "address"),
                             "%s %s: build and run sanitizers differ" % (name, job_name))
            matrix_ref = EXPRESSION.fullmatch(str(sanitizer))
            if matrix_ref:
                self.assertEqual(matrix_ref.group(1), "matrix.sanitizer", "%s %s" % (name, job_name))
                sanitizers = job.get("strategy", {}).get("matrix", {}).get("sanitizer")
                self.assertIsInstance(sanitizers, list, "%s %s: no sanitizer matrix" % (name, job_name))
                # Jobs of a matrix sharing one concurrency group cancel each other.
                group = str(job.get("concurrency", {}).get("group", "matrix.sanitizer"))
                self.assertIn("matrix.sanitizer", group, "%s %s: the sanitizers' jobs would cancel each other" %
                              (name, job_name))
            else:
                sanitizers = [sanitizer]
            jobs.append((job_name, build_with, run_with, sanitizers))
        self.assertTrue(jobs, "%s has no ClusterFuzzLite job" % name)
        return jobs

    def check_cflite_job(self, name, job_name, build_with, run_with, sanitizers):
        where = "%s, job %s" % (name, job_name)
        self.assertEqual(build_with.get("language"), self.project["language"],
                         "%s: language differs from .clusterfuzzlite/project.yaml" % where)
        mode = run_with.get("mode")
        if mode == "coverage":
            self.assertEqual(sanitizers, ["coverage"], "%s: a coverage run needs the coverage build" % where)
        else:
            for s in sanitizers:
                self.assertIn(s, self.project["sanitizers"], "%s: sanitizer not in project.yaml" % where)
        self.assertIn("github-token", run_with, "%s: run_fuzzers without github-token" % where)
        seconds = run_with.get("fuzz-seconds")
        self.assertIsInstance(seconds, int, "%s: fuzz-seconds" % where)
        self.assertGreater(seconds, 0, where)
        # A pull request's check must end well inside GitHub's six-hour cap.
        if mode == "code-change":
            self.assertLessEqual(seconds, 1800, "%s: code-change fuzzing longer than 30 min" % where)
        for key in ("dockerfile-path", "project-src-path"):
            if key in build_with:
                self.assert_in_repo(build_with[key], False, where)
        return mode

    def test_cflite_pr_fuzzes_code_changes_under_address_and_undefined(self):
        self.assertIn("pull_request", triggers(self.workflow("cflite_pr.yml")))
        sanitizers = set()
        for job_name, build_with, run_with, job_sanitizers in self.cflite_jobs("cflite_pr.yml"):
            mode = self.check_cflite_job("cflite_pr.yml", job_name, build_with, run_with, job_sanitizers)
            self.assertEqual(mode, "code-change", job_name)
            sanitizers.update(job_sanitizers)
        self.assertEqual(sanitizers, {"address", "undefined"})

    def test_cflite_batch_fuzzes_on_a_schedule_then_prunes_and_covers(self):
        events = triggers(self.workflow("cflite_batch.yml"))
        self.assertIn("workflow_dispatch", events)
        self.assertTrue(events.get("schedule"), "no schedule")
        for entry in events["schedule"]:
            self.assertEqual(len(entry["cron"].split()), 5, "cron needs five fields: %r" % entry["cron"])
        modes = {}
        for job_name, build_with, run_with, job_sanitizers in self.cflite_jobs("cflite_batch.yml"):
            mode = self.check_cflite_job("cflite_batch.yml", job_name, build_with, run_with, job_sanitizers)
            self.assertIn(mode, ("batch", "prune", "coverage"), job_name)
            modes.setdefault(mode, set()).update(job_sanitizers)
        self.assertEqual(modes.get("batch"), {"address", "undefined"})

    def test_clusterfuzzlite_build_is_wired_to_build_sh(self):
        # The actions build with .clusterfuzzlite/Dockerfile, which must put
        # build.sh where the OSS-Fuzz base image runs it ($SRC/build.sh).
        self.assertIn(self.project["language"], ("c", "c++"))
        self.assertIn("libfuzzer", self.project.get("fuzzing_engines", ["libfuzzer"]),
                      "the actions fuzz with libFuzzer by default")
        self.assert_in_repo(".clusterfuzzlite/Dockerfile", False, "ClusterFuzzLite")
        self.assert_in_repo(".clusterfuzzlite/build.sh", True, "ClusterFuzzLite")
        with open(os.path.join(CFLITE, "Dockerfile"), encoding="utf-8") as f:
            dockerfile = f.read()
        self.assertRegex(dockerfile, r"(?m)^FROM gcr\.io/oss-fuzz-base/base-builder\b")
        self.assertRegex(dockerfile, r"(?m)^COPY\s+\.clusterfuzzlite/build\.sh\s+\$SRC/?\s*$")
        with open(os.path.join(CFLITE, "build.sh"), encoding="utf-8") as f:
            build_sh = f.read()
        self.assertIn("targets/fuzz/fuzz_", build_sh, "build.sh no longer builds targets/fuzz/")
        self.assertTrue([f for f in os.listdir(os.path.join(SRC, "targets", "fuzz")) if re.match(r"fuzz_\w+\.c$", f)])

    # --- conformance -------------------------------------------------------

    def test_conformance_publishes_where_conform_writes(self):
        wf = self.workflow("conformance.yml")
        self.assertIn("push", triggers(wf))
        self.assertIn("pull_request", triggers(wf))
        runs = [(job_name, job, i, words)
                for job_name, job in wf["jobs"].items()
                for i, step in enumerate(job.get("steps", []))
                for words in shell_commands(step.get("run", ""))
                if program_and_args(words)[0] in ("scripts/conform.sh", "./scripts/conform.sh")]
        self.assertEqual(len(runs), 1, "one step runs scripts/conform.sh")
        job_name, job, conform_index, words = runs[0]
        self.assert_debian_root_container(job, job_name)

        # The run folder: --out DIR, else runs/latest (scripts/conform.sh).
        args = program_and_args(words)[1]
        out = "runs/latest"
        for i, arg in enumerate(args):
            if arg == "--out":
                out = args[i + 1]
            elif arg.startswith("--out="):
                out = arg.split("=", 1)[1]
        self.assertNotIn("EXPR", out, "check a literal run folder")
        out = os.path.normpath(out)
        self.assert_conform_writes_reports_in_out(out)

        later = job["steps"][conform_index + 1:]
        publishers = [s for s in later if action_name(s) in JUNIT_PUBLISHERS]
        self.assertEqual(len(publishers), 1, "one step after the run publishes the JUnit report")
        path = publishers[0].get("with", {}).get(JUNIT_PUBLISHERS[action_name(publishers[0])])
        self.assertEqual(os.path.normpath(str(path)), os.path.join(out, "junit.xml"))
        self.assertRegex(str(publishers[0].get("if", "")), RUNS_AFTER_FAILURE,
                         "the JUnit report must be published when the run finds something")

        appends_summary = re.compile(r"\bcat\s+['\"]?%s/summary\.md['\"]?\s*>>\s*['\"]?\$\{?GITHUB_STEP_SUMMARY\b"
                                     % re.escape(out))
        summaries = [s for s in later if appends_summary.search(s.get("run", ""))]
        self.assertEqual(len(summaries), 1, "one step appends %s/summary.md to $GITHUB_STEP_SUMMARY" % out)
        self.assertRegex(str(summaries[0].get("if", "")), RUNS_AFTER_FAILURE)

        uploads = [s for s in later if action_name(s) == "actions/upload-artifact"]
        self.assertTrue(uploads, "the run folder is uploaded")
        uploaded = {os.path.normpath(p) for s in uploads for p in str(s.get("with", {}).get("path", "")).split()}
        for report in ("index.html", "results.json"):
            self.assertTrue(out in uploaded or os.path.join(out, report) in uploaded, "%s not uploaded" % report)
        for s in uploads:
            self.assertRegex(str(s.get("if", "")), RUNS_AFTER_FAILURE)

    def test_conformance_runs_the_test_command(self):
        wf = self.workflow("conformance.yml")
        jobs = [(job_name, job) for job_name, job in wf["jobs"].items()
                for step in job.get("steps", [])
                for words in shell_commands(step.get("run", ""))
                if program_and_args(words)[0] in ("scripts/test.sh", "./scripts/test.sh")]
        self.assertEqual(len(jobs), 1, "one job runs scripts/test.sh")
        self.assert_debian_root_container(jobs[0][1], jobs[0][0])
        with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r"(?m)^scripts/test\.sh\s", "the README's test command is scripts/test.sh")

    def assert_debian_root_container(self, job, job_name):
        # scripts/install-deps.sh installs Debian 12's packages with apt-get,
        # which needs root.
        with open(os.path.join(SRC, "scripts", "install-deps.sh"), encoding="utf-8") as f:
            self.assertIn("Debian 12", f.read())
        container = job.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        self.assertRegex(str(image), r"^debian:(12|bookworm)\b", "%s: not a Debian 12 container" % job_name)
        options = container.get("options", "") if isinstance(container, dict) else ""
        self.assertNotRegex(str(options), r"--user(\s|=)(?!0\b|root\b)",
                            "%s: the container must run as root" % job_name)

    def assert_conform_writes_reports_in_out(self, out):
        """scripts/conform.sh hands its arguments to `shakedown conform`, and
        that writes the reports into the --out folder (or runs/latest)."""
        with open(os.path.join(SRC, "scripts", "conform.sh"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r'(?m)^exec build/default/shakedown conform .*"\$@"\s*$')
        help_text = subprocess.run([BIN, "conform", "--help"], capture_output=True, text=True).stdout
        self.assertIn("runs/latest points at it", help_text)
        self.assertIn("The run folder gets results.json, junit.xml, summary.md and index.html", help_text)
        # One scenario on the model, for real: where do the files land?
        listing = subprocess.run([BIN, "list"], capture_output=True, text=True, check=True).stdout.splitlines()
        scenario = listing[1].split()[0]
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = os.path.join(tmp, os.path.basename(out))
            done = subprocess.run([BIN, "conform", "--stack", "model", "--no-generated", "--filter", scenario, "-q",
                                   "--out", run_dir], capture_output=True, text=True, cwd=tmp)
            self.assertIn(done.returncode, (0, 1), done.stderr)
            for report in ("junit.xml", "summary.md", "results.json", "index.html"):
                self.assertTrue(os.path.isfile(os.path.join(run_dir, report)), "conform wrote no %s in --out" % report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
