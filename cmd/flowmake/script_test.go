package main

import (
	"path/filepath"
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
