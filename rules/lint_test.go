package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// lintFile loads src as a Rulefile and lints it in dir.
func lintFile(t *testing.T, src, dir string) hcl.Diagnostics {
	t.Helper()
	wf, diags := Parse([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatalf("Rulefile does not load: %v", diags)
	}
	return Lint(wf, dir)
}

func lintSummary(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%d:%s", d.Subject.Start.Line, d.Summary))
	}
	return out
}

// Each case is a minimal Rulefile with one warning (on line) and a clean
// variant that differs only by the fix. Every Rulefile is otherwise clean,
// so a check that fires too often shows up in the other cases too.
var lintCases = []struct {
	name, summary string
	line          int
	bad, clean    string
	hint          string // a word of the warning's detail
	diskFile      string // a file made in the working directory first
}{
	{
		name: "absolute output", summary: "Absolute path", line: 3, hint: "relative",
		bad: `rule "all" {
  log    = "logs/make.log"
  output = "/data/x.txt"
  shell  = "touch ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  log    = "logs/make.log"
  output = "data/x.txt"
  shell  = "touch ${output} 2> ${log}"
}
`,
	},
	{
		name: "absolute input", summary: "Absolute path", line: 3, hint: "/ref/genome.fa",
		bad: `rule "all" {
  output = "x.txt"
  input  = "/ref/genome.fa"
  log    = "x.log"
  shell  = "cp ${input} ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  output = "x.txt"
  input  = "ref/genome.fa"
  log    = "x.log"
  shell  = "cp ${input} ${output} 2> ${log}"
}
`,
	},
	{
		name: "no log", summary: "Rule without a log", line: 1, hint: "logs/all.log",
		bad: `rule "all" {
  output = "x.txt"
  shell  = "touch ${output}"
}
`,
		clean: `rule "all" {
  output = "x.txt"
  log    = "logs/all.log"
  shell  = "touch ${output} 2> ${log}"
}
`,
	},
	{
		name: "output not consumed", summary: "Output not consumed", line: 11, hint: "first rule",
		bad: `rule "all" {
  input = ["a.txt"]
}
rule "a" {
  output = "a.txt"
  log    = "a.log"
  shell  = "touch ${output} 2> ${log}"
}
rule "b" {
  log    = "b.log"
  output = "b/{x}.txt"
  shell  = "touch ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  input = ["a.txt", "b/one.txt"]
}
rule "a" {
  output = "a.txt"
  log    = "a.log"
  shell  = "touch ${output} 2> ${log}"
}
rule "b" {
  log    = "b.log"
  output = "b/{x}.txt"
  shell  = "touch ${output} 2> ${log}"
}
`,
	},
	{
		name: "wildcard spans slash", summary: "Wildcard spans /", line: 10, hint: "{sample,[^/]+}",
		bad: `rule "all" {
  input = ["res/plots/a.txt", "res/b.txt"]
}
rule "plot" {
  output = "res/plots/{name}.txt"
  log    = "logs/plot/{name}.log"
  shell  = "touch ${output} 2> ${log}"
}
rule "count" {
  output = "res/{sample}.txt"
  log    = "logs/count/{sample}.log"
  shell  = "touch ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  input = ["res/plots/a.txt", "res/b.txt"]
}
rule "plot" {
  output = "res/plots/{name}.txt"
  log    = "logs/plot/{name}.log"
  shell  = "touch ${output} 2> ${log}"
}
rule "count" {
  output = "res/{sample,[^/]+}.txt"
  log    = "logs/count/{sample}.log"
  shell  = "touch ${output} 2> ${log}"
}
`,
	},
	{
		name: "shell names another rule's output", summary: "File not declared", line: 9, hint: "rule a makes it",
		bad: `rule "all" {
  input = ["a.txt", "b.txt"]
}
rule "b" {
  output = "b.txt"
  log    = "b.log"
  # a.txt is made by rule a, which this job may run before.
  shell = <<-EOT
    sort a.txt > ${output} 2> ${log}
  EOT
}
rule "a" {
  output = "a.txt"
  log    = "a.log"
  shell  = "touch ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  input = ["a.txt", "b.txt"]
}
rule "b" {
  input  = "a.txt"
  output = "b.txt"
  log    = "b.log"
  # a.txt is made by rule a, which this job may run before.
  shell = <<-EOT
    sort a.txt > ${output} 2> ${log}
  EOT
}
rule "a" {
  output = "a.txt"
  log    = "a.log"
  shell  = "touch ${output} 2> ${log}"
}
`,
	},
	{
		name: "shell names a file on disk", summary: "File not declared", line: 4, hint: "working directory",
		diskFile: "ref/genome.fa",
		bad: `rule "all" {
  output = "x.txt"
  log    = "x.log"
  shell  = "wc -l ref/genome.fa > ${output} 2> ${log}"
}
`,
		clean: `rule "all" {
  input  = "ref/genome.fa"
  output = "x.txt"
  log    = "x.log"
  shell  = "wc -l ref/genome.fa > ${output} 2> ${log}"
}
`,
	},
	{
		name: "config key never used", summary: "Config key never used", line: 3, hint: "config.threads",
		bad: `config {
  samples = ["a"]
  threads = 4
}
rule "all" {
  input = expand("{s}.txt", { s = config.samples })
}
`,
		clean: `config {
  samples = ["a"]
  threads = 4
}
rule "all" {
  input   = expand("{s}.txt", { s = config.samples })
  threads = config["threads"]
}
`,
	},
	{
		name: "config read in shell", summary: "Config read in shell", line: 7, hint: "params = { salt = config.salt }",
		bad: `config {
  salt = 2
}
rule "all" {
  output = "x.txt"
  log    = "x.log"
  shell  = "echo ${config.salt} > ${output} 2> ${log}"
}
`,
		clean: `config {
  salt = 2
}
rule "all" {
  output = "x.txt"
  log    = "x.log"
  params = { salt = config.salt }
  shell  = "echo ${params.salt} > ${output} 2> ${log}"
}
`,
	},
}

func TestLint(t *testing.T) {
	for _, c := range lintCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.diskFile != "" {
				p := filepath.Join(dir, c.diskFile)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			diags := lintFile(t, c.bad, dir)
			want := fmt.Sprintf("%d:%s", c.line, c.summary)
			if got := lintSummary(diags); len(got) != 1 || got[0] != want {
				t.Fatalf("warnings %q, want [%q]", got, want)
			}
			d := diags[0]
			if d.Severity != hcl.DiagWarning || d.Subject.Filename != "Rulefile" {
				t.Errorf("severity %v in %q, want a warning in Rulefile", d.Severity, d.Subject.Filename)
			}
			if !strings.Contains(d.Detail, c.hint) {
				t.Errorf("detail %q lacks %q", d.Detail, c.hint)
			}
			if got := lintSummary(lintFile(t, c.clean, dir)); len(got) != 0 {
				t.Errorf("clean variant warns: %q", got)
			}
		})
	}
}

// A rule with a script sees the whole config, so no key is reported as
// unused; a reference to config whole uses every key too.
func TestLintConfigUsedWhole(t *testing.T) {
	for _, src := range []string{
		`config {
  a = 1
}
rule "all" {
  output = "x.txt"
  log    = "x.log"
  script = "s.py"
}
`,
		`config {
  a = 1
}
rule "all" {
  output = "x.txt"
  log    = "x.log"
  params = { all = jsonencode(config) }
  shell  = "touch ${output} 2> ${log}"
}
`,
	} {
		if got := lintSummary(lintFile(t, src, t.TempDir())); len(got) != 0 {
			t.Errorf("warnings %q for\n%s", got, src)
		}
	}
}

// wordRange points at the word's own line inside a multi-line literal.
func TestLintWordRange(t *testing.T) {
	src := "a\n  bb cc.txt\n"
	f := &hcl.File{Bytes: []byte(src)}
	rng := hcl.Range{Filename: "R", Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 2, Column: 12, Byte: len(src) - 1}}
	got := wordRange(rng, f, "cc.txt")
	if got.Start.Line != 2 || got.Start.Column != 6 || got.End.Byte-got.Start.Byte != 6 {
		t.Errorf("range %+v, want line 2 column 6, 6 bytes", got)
	}
}

// A rule's other outputs are made with the one an input names, so they
// are not reported as unconsumed.
func TestLintSiblingOutputConsumed(t *testing.T) {
	src := `rule "all" {
  input = ["out/a.txt"]
}
rule "make" {
  output = { main = "out/{s}.txt", side = "side/{s}.txt" }
  log    = "logs/{s}.log"
  shell  = "touch ${output.main} ${output.side} 2> ${log}"
}
`
	if got := lintSummary(lintFile(t, src, t.TempDir())); len(got) != 0 {
		t.Errorf("warnings %q", got)
	}
}
