package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// glob_wildcards in the config block reads the -C directory, not the
// caller's: the same workflow plans the same jobs from inside its folder
// and from outside it.
func TestDirectoryFlagLoadTimeGlob(t *testing.T) {
	outer := workspace(t, map[string]string{
		"w/data/a.txt": "a\n",
		"w/data/b.txt": "b\n",
		"w/data/c.txt": "c\n",
		"w/Rulefile": `
config {
  samples = glob_wildcards("data/{s}.txt").s
}
rule "all" { input = expand("out/{s}.txt", { s = config.samples }) }
rule "cp" {
  input  = ["data/{s}.txt"]
  output = ["out/{s}.txt"]
  shell  = "cp ${input} ${output}"
}
`,
	})
	inside := mustRun(t, filepath.Join(outer, "w"), "-n")
	viaC := mustRun(t, outer, "-C", "w", "-n")
	for _, r := range []result{inside, viaC} {
		if !strings.Contains(r.stdout+r.stderr, "4 jobs would run") {
			t.Errorf("want 4 jobs (3 copies and all):\n%s%s", r.stdout, r.stderr)
		}
	}
	mustRun(t, outer, "-C", "w", "-j2")
	if got := readFile(t, filepath.Join(outer, "w", "out", "c.txt")); got != "c\n" {
		t.Errorf("out/c.txt = %q", got)
	}
}
