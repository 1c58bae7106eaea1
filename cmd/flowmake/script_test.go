package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A script job reads the whole job, config included, from $FLOWMAKE_JOB.
func TestScriptJobReadsJobJSON(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
config {
  greeting = "hello"
}
rule "all" {
  input = ["out/a b.json"]
}
rule "write" {
  output = "out/{name}.json"
  params = { n = 3 }
  script = "scripts/write.py"
}
`,
		"scripts/write.py": `import json, os
job = json.load(open(os.environ["FLOWMAKE_JOB"]))
with open(job["output"][0], "w") as f:
    f.write("%s %s %d" % (job["config"]["greeting"], job["wildcards"]["name"], job["params"]["n"]))
`,
	})
	mustRun(t, dir, "-q")
	if got := readFile(t, filepath.Join(dir, "out", "a b.json")); got != "hello a b 3" {
		t.Errorf("script wrote %q", got)
	}
}

// A Python script written for Snakemake runs unchanged: the snakemake
// object has the job, with Snakemake's attribute and index access.
func TestScriptSnakemakeObject(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
config {
  greeting = "hi"
}
rule "all" {
  input = "res/x.txt"
}
rule "rep" {
  input     = { first = "data/a 1.txt", rest = ["data/b.txt"] }
  output    = { txt = "res/{sample}.txt" }
  params    = { n = 3, label = "hello world" }
  threads   = 2
  resources = { mem_mb = 100 }
  log       = { err = "logs/{sample}.log" }
  script    = "scripts/report.py"
}
`,
		"data/a 1.txt": "a\n",
		"data/b.txt":   "b\n",
		"scripts/report.py": `s = snakemake
with open(s.output.txt, "w") as out:
    print(len(s.input), str(s.input), s.input.first, list(s.input.rest), s.input[1], s.input["first"], file=out)
    print(s.params.n, s.params["label"], s.params[0], s.wildcards.sample, s.wildcards[0], file=out)
    print(s.threads, s.resources.mem_mb, s.resources.mem_mib, s.log.err, s.log[0], s.config["greeting"], s.rule, file=out)
with open(s.log[0], "w") as f:
    f.write("logged\n")
`,
	})
	mustRun(t, dir, "-q", "-j2")
	want := "2 data/a 1.txt data/b.txt data/a 1.txt ['data/b.txt'] data/b.txt data/a 1.txt\n" +
		"3 hello world 3 x x\n" +
		"2 100 96 logs/x.log logs/x.log hi rep\n"
	if got := readFile(t, filepath.Join(dir, "res", "x.txt")); got != want {
		t.Errorf("script wrote\n%s\nwant\n%s", got, want)
	}
	if got := readFile(t, filepath.Join(dir, "logs", "x.log")); got != "logged\n" {
		t.Errorf("log %q", got)
	}
}

// A failing script's traceback names the user's script and line.
func TestScriptTraceback(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
rule "boom" {
  output = "x.txt"
  script = "scripts/boom.py"
}
`,
		"scripts/boom.py": "import sys\n\nprint(snakemake.output[0])\nraise RuntimeError('no ' + snakemake.rule)\n",
	})
	r := flowmake(t, dir)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"boom.py\", line 4, in <module>", "RuntimeError: no boom", "FAILED rule boom, exit 1"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
