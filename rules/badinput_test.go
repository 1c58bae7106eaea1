package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Input that is not a Rulefile at all gets one clear error, fast: a binary
// file is refused at its first NUL byte, and a file of garbage gets its
// first error. Before, a 256 KiB binary file took minutes (one error per
// byte, each hinted and rendered with a pass over its line) and printed
// its bytes to the terminal. Neither is a long line quoted.
func TestNotARulefile(t *testing.T) {
	binary := append([]byte("rule \"a\" {\n"), bytes.Repeat([]byte{0, 1, 2, 0x1b, '[', '2', 'J', 0xff}, 32<<10)...)
	garbage := bytes.Repeat([]byte("@"), 64<<10) // no NUL, yet no HCL: an error per byte
	tests := []struct {
		name    string
		src     []byte
		want    []string // in order
		notWant string
	}{
		{"binary", binary, []string{"Rulefile:2:1: Error: Binary file", "(source code not available)", "Rulefile holds a NUL byte, so it is not a text file"}, "\x1b"},
		{"garbage", garbage, []string{"Rulefile:1:1: Error: Invalid character", "(source code not available)", "This character is not used within the language."}, "@@@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			wf, diags := Parse(tt.src, "Rulefile")
			var out bytes.Buffer
			if err := wf.WriteDiagnostics(&out, diags, 80); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			got := out.String()
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("rendered diagnostics lack %q (in order):\n%.3000s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if n := strings.Count(got, ": Error: "); n != 1 {
				t.Errorf("%d errors rendered, want 1", n)
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("rendered diagnostics hold %q", tt.notWant)
			}
		})
	}
}

// A Snakefile that starts with configfile: or import is recognised too,
// though HCL stops before it reaches the first rule header.
func TestSnakefilePreamble(t *testing.T) {
	for _, pre := range []string{"configfile: \"config.yaml\"\n", "import os\nSAMPLES = [\"a\"]\n\n", "from pathlib import Path\n"} {
		_, diags := Parse([]byte(pre+"rule all:\n    input: \"a.txt\"\n"), "Rulefile")
		if len(diags) != 1 || diags[0].Summary != "Snakemake syntax" || !strings.Contains(diags[0].Detail, `rule "all" {`) {
			t.Errorf("%q: got %v, want one Snakemake syntax error naming rule all", pre, diags)
		}
	}
	// A directive alone, without a rule header, has nothing to point at.
	if _, diags := Parse([]byte("configfile: \"c.yaml\"\n"), "Rulefile"); len(diags) == 0 || diags[0].Summary == "Snakemake syntax" {
		t.Errorf("configfile alone: got %v", diags)
	}
}

// Every location in a rendered diagnostic has the FILE:LINE:COL form,
// also those HCL itself writes into a detail (FILE:LINE,COL-COL).
func TestOneLocationFormat(t *testing.T) {
	for src, want := range map[string]string{
		"rule \"a\" {\n  output = \"x\"\n  output = \"y\"\n}\n":                  "already set at Rulefile:2:3.",
		"rule \"a\" {\n  output = \"x\"\n  shell = \"%{ for x in [1] }\"\n}\n":   "The for directive at Rulefile:3:12 is missing",
		"rule \"a\" {\n  output = \"x\"\n}\nrule \"a\" {\n  output = \"y\"\n}\n": "already defined at Rulefile:1:1.",
	} {
		wf, diags := Parse([]byte(src), "Rulefile")
		var out bytes.Buffer
		if err := wf.WriteDiagnostics(&out, diags, 200); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.Contains(got, want) {
			t.Errorf("rendered diagnostics lack %q:\n%s", want, got)
		}
		if hclRange.MatchString(got) {
			t.Errorf("a location in HCL's range format:\n%s", got)
		}
	}
}

// An include through a link to its own directory is a cycle, found by the
// file's real path, not read until the OS gives up.
func TestIncludeCycleThroughLink(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Rulefile", "include = [\"deep/more.hcl\"]\nrule \"a\" {\n  output = \"o\"\n}\n")
	write("deep/more.hcl", "include = [\"deep/more.hcl\"]\n")
	if err := os.Symlink(".", filepath.Join(dir, "deep", "deep")); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(filepath.Join(dir, "Rulefile"), Options{})
	if len(diags) != 1 || diags[0].Summary != "Include cycle" || !strings.Contains(diags[0].Detail, "more.hcl includes "+filepath.Join(dir, "deep", "deep", "more.hcl")) {
		t.Errorf("got %v, want one include cycle", diags)
	}
}
