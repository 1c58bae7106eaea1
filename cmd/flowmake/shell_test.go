package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A list param is its elements, each one argument; a string param is
// inserted as written and splits.
func TestShellListParams(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
rule "args" {
  output = "args.txt"
  params = { flags = ["-v", "two words", "it's"], split = "-a -b" }
  shell  = "for a in ${params.flags} ${params.split}; do echo \"<$a>\"; done > ${output}"
}
`,
	})
	mustRun(t, dir, "-q")
	want := "<-v>\n<two words>\n<it's>\n<-a>\n<-b>\n"
	if got := readFile(t, filepath.Join(dir, "args.txt")); got != want {
		t.Errorf("arguments\n%s\nwant\n%s", got, want)
	}
}

// The log is the command's: 2> ${log} keeps everything the command wrote
// there. flowmake's own capture of the job's output goes under
// .flowmake/log/, and a failure shows the tails of both.
func TestShellLogIsTheAuthors(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
rule "all" {
  input = ["out/ok.txt", "out/bad.txt"]
}
rule "step" {
  output = "out/{name}.txt"
  log    = "logs/{name}.log"
  shell  = <<-EOT
    echo "progress for ${wildcards.name}"
    (echo "detail 1"; echo "detail 2" >&2) 2> ${log}
    if [ ${wildcards.name} = bad ]; then echo "it broke" >&2; exit 3; fi
    echo done > ${output}
  EOT
}
`,
	})
	r := flowmake(t, dir, "-k", "-j1")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "logs/ok.log")); got != "detail 2\n" {
		t.Errorf("log of the good job %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "logs/bad.log")); got != "detail 2\n" {
		t.Errorf("log of the failed job %q (kept after the failure)", got)
	}
	capture := filepath.Join(dir, ".flowmake/log/step/name=bad.log")
	if got := readFile(t, capture); got != "progress for bad\ndetail 1\nit broke\n" {
		t.Errorf("capture %q", got)
	}
	for _, want := range []string{
		"FAILED rule step (name=bad), exit 3",
		"log logs/bad.log (last lines):\n      detail 2\n",
		"output, in full in .flowmake/log/step/name=bad.log (last lines):\n      progress for bad\n      detail 1\n      it broke\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// The job's output still reaches the terminal, as in Snakemake.
	if !strings.Contains(r.stdout, "progress for ok") {
		t.Errorf("stdout lacks the job's output:\n%s", r.stdout)
	}
}

// {input} in Snakemake's style is a load-time error with file:line and
// the HCL form, and nothing runs; ${"{input}"} is a literal {input}.
func TestShellSnakemakeBraces(t *testing.T) {
	dir := workspace(t, map[string]string{
		"Rulefile": `
rule "copy" {
  input  = "in.txt"
  output = "out/{sample}.txt"
  shell  = "cp {input} out/{wildcards.sample}.txt"
}
`,
		"in.txt": "x\n",
	})
	r := flowmake(t, dir, "out/a.txt")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Rulefile:5:16: Error: Snakemake-style reference in shell", "${input}.", "Rulefile:5:28:", "${wildcards.sample}."} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if exists(filepath.Join(dir, "out")) {
		t.Error("a job ran")
	}

	writeFile(t, filepath.Join(dir, "Rulefile"), `
rule "literal" {
  output = "lit.txt"
  shell  = "echo ${"{input}"} {{x}} $${HOME:+home} > ${output}; awk 'BEGIN {print \"awk\"}' >> ${output}; echo {a,b} >> ${output}"
}
`)
	mustRun(t, dir, "-q")
	if got := readFile(t, filepath.Join(dir, "lit.txt")); got != "{input} {{x}} home\nawk\na b\n" {
		t.Errorf("wrote %q", got)
	}
}

// A Snakefile without a Rulefile: the error names the path looked for,
// says flowmake reads an HCL Rulefile and where the translation is shown.
func TestSnakefileWithoutRulefile(t *testing.T) {
	dir := workspace(t, map[string]string{"Snakefile": "rule all:\n    input: \"x\"\n"})
	r := flowmake(t, dir, "-n")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"There is no Rulefile at Rulefile", "there is a Snakefile, Snakefile", "HCL", "docs/migrating.md"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "goroutine") {
		t.Errorf("a stack trace:\n%s", r.stderr)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	r = flowmake(t, dir, "-C", "sub")
	if r.code != 1 || !strings.Contains(r.stderr, "There is no Rulefile at sub/Rulefile.") || strings.Contains(r.stderr, "Snakefile") {
		t.Errorf("without a Snakefile: exit %d\n%s", r.code, r.stderr)
	}
}

// Every Rulefile snippet of docs/migrating.md loads and dry-runs, with
// the files its comment "# files: a b" names created first (an included
// .hcl file holds the rule the page shows for it).
func TestMigratingSnippetsLoad(t *testing.T) {
	doc, err := os.ReadFile("../../docs/migrating.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 20 {
		t.Fatalf("found %d hcl blocks in docs/migrating.md", len(blocks))
	}
	filesRe := regexp.MustCompile(`(?m)^# files: (.+)$`)
	for i, b := range blocks {
		src := b[1]
		files := map[string]string{"Rulefile": src}
		for _, m := range filesRe.FindAllStringSubmatch(src, -1) {
			for _, f := range strings.Fields(m[1]) {
				files[f] = "x\n"
				if strings.HasSuffix(f, ".hcl") {
					// An included file: the snippet that follows shows it.
					files[f] = "rule \"qc\" {\n  output = \"qc.txt\"\n  shell = \"echo ok > ${output}\"\n}\n"
				}
			}
		}
		dir := workspace(t, files)
		if r := flowmake(t, dir, "-n"); r.code != 0 {
			t.Errorf("snippet %d:\n%s\nflowmake -n: exit %d\n%s", i+1, src, r.code, r.stderr)
		}
	}
}
