package main

import (
	"regexp"
	"strings"
	"testing"
)

// Every user error exits 1 with a message that says where and what, and no
// Go stack trace.
func TestUserErrors(t *testing.T) {
	tests := []struct {
		name     string
		rulefile string
		files    map[string]string
		args     []string
		want     []string // substrings of stderr
	}{
		{
			name:     "syntax error",
			rulefile: "rule \"a\" {\n  output = \"x\"\n  shell = \"echo\n}\n",
			want:     []string{"Rulefile:3:16: Error: Invalid multi-line string", "Quoted strings may not be split over multiple lines"},
		},
		{
			name:     "unknown block",
			rulefile: "rules \"a\" {\n}\n",
			want:     []string{"Rulefile:1:1: Error: Unsupported block type", `Blocks of type "rules" are not expected here`, `Did you mean "rule"?`},
		},
		{
			name:     "unknown attribute with suggestion",
			rulefile: "rule \"a\" {\n  output = \"x\"\n  shel = \"echo > x\"\n}\n",
			want:     []string{"Rulefile:3:3: Error: Unsupported argument", `An argument named "shel" is not expected here`, `Did you mean "shell"?`},
		},
		{
			name:     "wrong type",
			rulefile: "rule \"a\" {\n  output  = \"x\"\n  threads = \"many\"\n  shell   = \"touch x\"\n}\n",
			want:     []string{"Rulefile:3:13: Error: Incorrect attribute value type", `threads = "many"`},
		},
		{
			name:     "undefined variable",
			rulefile: "rule \"a\" {\n  output = \"x\"\n  shell  = \"echo ${inputs} > x\"\n}\n",
			want:     []string{"Rulefile:3:20: Error: Unknown variable", `There is no variable named "inputs"`, `Did you mean "input"?`},
		},
		{
			name:     "undefined function",
			rulefile: "rule \"a\" {\n  output = \"x\"\n  input  = explode(\"y\")\n  shell  = \"touch x\"\n}\n",
			want:     []string{"Rulefile:3:12: Error: Call to unknown function", `There is no function named "explode"`},
		},
		{
			name:     "input wildcard not in outputs",
			rulefile: "rule \"a\" {\n  input  = \"in/{sample}.txt\"\n  output = \"out/{name}.txt\"\n  shell  = \"cp ${input} ${output}\"\n}\n",
			want:     []string{"Rulefile:2:13: Error: Wildcard not in outputs", "{sample}"},
		},
		{
			name:     "bad constraint regex",
			rulefile: "rule \"a\" {\n  output = \"out/{name,[a-z}.txt\"\n  shell  = \"touch ${output}\"\n}\n",
			want:     []string{"Rulefile:2:12: Error: Invalid output pattern", "{name,[a-z}"},
		},
		{
			name:     "unused rule still validated",
			rulefile: "rule \"all\" {\n  input = \"x\"\n}\nrule \"x\" {\n  output = \"x\"\n  shell = \"touch x\"\n}\nrule \"unused\" {\n  output = \"y/{s}\"\n  log    = \"logs/{t}.log\"\n  shell  = \"true\"\n}\n",
			want:     []string{"Rulefile:10:13: Error: Wildcard not in outputs", "{t}", `in rule "unused"`},
		},
		{
			name:     "ambiguous rules",
			rulefile: "rule \"all\" {\n  input = \"out/a.txt\"\n}\nrule \"one\" {\n  output = \"out/{x}.txt\"\n  shell = \"touch ${output}\"\n}\nrule \"two\" {\n  output = \"out/{y}.txt\"\n  shell = \"touch ${output}\"\n}\n",
			want:     []string{"Rulefile:4:1: Error: Ambiguous rules for out/a.txt", "rule one (x=a) at Rulefile:4:1", "rule two (y=a) at", `ruleorder = ["one", "two"]`},
		},
		{
			name:     "missing input names the chain",
			rulefile: "rule \"all\" {\n  input = \"results/C.bam\"\n}\nrule \"align\" {\n  input  = \"data/{sample}.fq\"\n  output = \"results/{sample}.bam\"\n  shell  = \"cp ${input} ${output}\"\n}\n",
			files:    map[string]string{"data/c.fq": "x"},
			want:     []string{"data/C.fq", "results/C.bam", "align", "sample=C", "did you mean data/c.fq"},
		},
		{
			name:     "cycle",
			rulefile: "rule \"all\" {\n  input = \"a.txt\"\n}\nrule \"ab\" {\n  input  = \"b.txt\"\n  output = \"a.txt\"\n  shell  = \"cp b.txt a.txt\"\n}\nrule \"ba\" {\n  input  = \"a.txt\"\n  output = \"b.txt\"\n  shell  = \"cp a.txt b.txt\"\n}\n",
			want:     []string{"flowmake: dependency cycle: ab -> ba -> ab"},
		},
		{
			name:     "target nothing can make",
			rulefile: "rule \"a\" {\n  output = \"x\"\n  shell  = \"touch x\"\n}\n",
			args:     []string{"-n", "nothing/here.txt"},
			want:     []string{"flowmake: no rule makes target nothing/here.txt and it does not exist"},
		},
		{
			name:     "evaluation error names rule and wildcards",
			rulefile: "config {\n  units = { a = \"data/a.fq\" }\n}\nrule \"all\" {\n  input = [\"out/b.txt\"]\n}\nrule \"map\" {\n  input  = [config.units[wildcards.sample]]\n  output = \"out/{sample}.txt\"\n  shell  = \"cp ${input} ${output}\"\n}\n",
			want:     []string{"Rulefile:8:25: Error: Invalid index", "In rule map (sample=b), needed by rule all."},
		},
		{
			name:     "missing Rulefile",
			rulefile: "",
			want:     []string{"Error: No Rulefile", "There is no Rulefile at Rulefile", "flowmake reads a workflow written in HCL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range tt.files {
				files[k] = v
			}
			if tt.rulefile != "" {
				files["Rulefile"] = tt.rulefile
			}
			dir := workspace(t, files)
			args := tt.args
			if args == nil {
				args = []string{"-n"}
			}
			r := flowmake(t, dir, args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			// Each case is one problem, printed once: one diagnostic or
			// one "flowmake:" line, never both, never twice.
			if n := len(problemLine.FindAllString(r.stderr, -1)); n != 1 {
				t.Errorf("the problem is printed %d times, want once:\n%s", n, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
				t.Errorf("stack trace in output:\n%s", r.stderr)
			}
		})
	}
}

// problemLine is the first line of a diagnostic ("Rulefile:3:5: Error:
// ...", "Error: No Rulefile") or of a plain message ("flowmake: ...").
var problemLine = regexp.MustCompile(`(?m)^(\S+: )?Error: |^flowmake: `)

// One problem, one diagnostic: an ambiguity is printed once, and every
// location in it has the diagnostics' FILE:LINE:COL form.
func TestAmbiguityPrintedOnce(t *testing.T) {
	dir := workspace(t, map[string]string{"Rulefile": `rule "all" { input = ["a.txt"] }
rule "one" {
  output = ["{x}.txt"]
  shell  = "echo 1 > ${output}"
}
rule "two" {
  output = ["{y}.txt"]
  shell  = "echo 2 > ${output}"
}
`})
	r := flowmake(t, dir, "-n")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, once := range []string{"Ambiguous rules for a.txt", "can be made by"} {
		if n := strings.Count(r.stderr, once); n != 1 {
			t.Errorf("%q printed %d times:\n%s", once, n, r.stderr)
		}
	}
	for _, want := range []string{"Rulefile:2:1: Error", "rule two (y=a) at", "Rulefile:6:1", `ruleorder = ["one", "two"]`, "needed by rule all"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, ",1-") {
		t.Errorf("a location in HCL's range format:\n%s", r.stderr)
	}
}
