package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noDump fails when output holds a Go panic or goroutine dump.
func noDump(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{"goroutine ", "panic:", "runtime error", ".go:"} {
		if strings.Contains(r.stderr, s) || strings.Contains(r.stdout, s) {
			t.Fatalf("output holds %q:\n%s", s, r.stderr)
		}
	}
}

// The slips users make get a hint at file:line, through the real binary.
func TestHints(t *testing.T) {
	tests := []struct {
		name     string
		rulefile *string // nil: no Rulefile
		args     []string
		want     []string // substrings of stderr
	}{
		{"unquoted path", ptr("rule \"a\" {\n  input  = in.txt\n  output = \"out.txt\"\n  shell  = \"cp ${input} ${output}\"\n}\n"), nil,
			[]string{"Rulefile:2:12: Error: Unquoted path", `Paths are strings: write "in.txt".`}},
		{"unquoted shell command", ptr("rule \"a\" {\n  output = \"out.txt\"\n  shell  = wc -l ${input} > ${output}\n}\n"), nil,
			[]string{"Rulefile:3:12: Error: Unquoted shell command", `write shell = "wc -l ${input} > ${output}"`}},
		{"expand with keywords", ptr("config {\n  samples = [\"a\"]\n}\nrule \"all\" {\n  input = expand(\"out/{sample}.txt\", sample=config.samples)\n}\n"), nil,
			[]string{"Rulefile:5:11: Error: Keyword argument", `expand("out/{sample}.txt", { sample = config.samples })`}},
		{"pasted Snakefile", ptr("rule all:\n    input: \"a.txt\"\n"), nil,
			[]string{"Rulefile:1:1: Error: Snakemake syntax", "This looks like Snakemake syntax", "docs/migrating.md"}},
		{"config typo", ptr("config {\n  samples = [\"a\"]\n}\nrule \"all\" {\n  input = expand(\"out/{s}.txt\", { s = config.sample })\n}\n"), nil,
			[]string{"Rulefile:5:39: Error: Unknown config key", `Did you mean "samples"?`}},
		{"params typo", ptr("rule \"a\" {\n  output = \"o\"\n  params = { extra = \"-x\" }\n  shell  = \"echo ${params.extr} > ${output}\"\n}\n"), nil,
			[]string{"Rulefile:4:20: Error: Unknown params key", `Did you mean "extra"?`}},
		{"empty Rulefile with a target", ptr(""), []string{"-n", "out.txt"},
			[]string{"no rule makes out.txt: Rulefile has no rules"}},
		{"missing Rulefile", nil, []string{"-s", "flows/Rulefile"},
			[]string{"No Rulefile", "There is no Rulefile at flows/Rulefile."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.rulefile != nil {
				files["Rulefile"] = *tc.rulefile
			}
			dir := workspace(t, files)
			args := tc.args
			if args == nil {
				args = []string{"-n"}
			}
			r := flowmake(t, dir, args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			noDump(t, r)
		})
	}
}

func ptr(s string) *string { return &s }

// Deep and long input is refused at file:line before HCL's parser, which
// would overflow the Go stack: a fatal error with a goroutine dump.
func TestHostileDepth(t *testing.T) {
	wrap := func(expr string) string {
		return "rule \"a\" {\n  output = \"o\"\n  params = { x = " + expr + " }\n}\n"
	}
	tests := map[string]struct{ src, want string }{
		"parentheses": {wrap(strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)), "Rulefile:3:272: Error: Expression nested too deeply"},
		"brackets":    {wrap(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), "Rulefile:3:272: Error: Expression nested too deeply"},
		"braces":      {wrap(strings.Repeat("{a=", 100000) + "1" + strings.Repeat("}", 100000)), "Rulefile:3:780: Error: Expression nested too deeply"},
		"minus signs": {wrap(strings.Repeat("-", 1000000) + "1"), "Rulefile:3:4109: Error: Expression too long"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := workspace(t, map[string]string{"Rulefile": tc.src})
			r := flowmake(t, dir, "-n")
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%.2000s", r.code, r.stderr)
			}
			noDump(t, r)
		})
	}
	t.Run("size", func(t *testing.T) {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "Rulefile"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(17 << 20); err != nil { // sparse: no 17 MiB written
			t.Fatal(err)
		}
		f.Close()
		r := flowmake(t, dir, "-n")
		if r.code != 1 || !strings.Contains(r.stderr, "Rulefile:1:1: Error: Rulefile too large") {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
	})
}

// A panic becomes "internal error" and a request for a bug report, exit 1,
// with the stack in a file rather than on the terminal. The panic comes
// from the FLOWMAKE_TEST_PANIC hook (cmd/flowmake/main.go).
func TestInternalError(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("FLOWMAKE_TEST_PANIC", "1")
	t.Setenv("TMPDIR", tmp)
	r := flowmake(t, dir, "-n")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, w := range []string{"flowmake: internal error: test panic", "This is a bug in flowmake. Please report it at https://", "attaching " + tmp} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	noDump(t, r)
	crash, _ := filepath.Glob(filepath.Join(tmp, "flowmake-crash-*.txt"))
	if len(crash) != 1 || !strings.Contains(readFile(t, crash[0]), "goroutine ") {
		t.Errorf("crash files %v: want one with the stack", crash)
	}
}
