package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// parse parses src as a Rulefile and fails the test on any diagnostic.
func parse(t *testing.T, src string) *Workflow {
	t.Helper()
	wf, diags := Parse([]byte(src), "Rulefile")
	if len(diags) > 0 {
		var b bytes.Buffer
		_ = wf.WriteDiagnostics(&b, diags, 80)
		t.Fatalf("Parse:\n%s", b.String())
	}
	return wf
}

// eval evaluates rule of wf and fails the test on any diagnostic.
func eval(t *testing.T, wf *Workflow, rule string, wc map[string]string, env Env) *Job {
	t.Helper()
	r := wf.ByName[rule]
	if r == nil {
		t.Fatalf("no rule %s", rule)
	}
	j, diags := r.Eval(wc, env)
	if len(diags) > 0 {
		var b bytes.Buffer
		_ = wf.WriteDiagnostics(&b, diags, 80)
		t.Fatalf("Eval:\n%s", b.String())
	}
	return j
}

func paths(ps ...string) []Path {
	out := make([]Path, len(ps))
	for i, p := range ps {
		out[i] = Path{Path: p}
	}
	return out
}

func TestEval(t *testing.T) {
	const cfg = `
config {
  samples = ["a", "b"]
  units   = { a = "raw/a.fq", b = "raw/./b.fq" }
  flags   = "-x -y"
}
`
	type tc struct {
		name    string
		rule    string // the rule under test, "r" if empty
		src     string // rules after the shared config
		wc      map[string]string
		env     Env
		inputs  []Path // nil: not checked
		outputs []Path
		log     []Path
		shell   *string
		message *string
		check   func(t *testing.T, j *Job)
	}
	str := func(s string) *string { return &s }
	a := map[string]string{"sample": "a"}
	cases := []tc{
		{
			name:   "string input is a one-element tuple",
			src:    `rule "r" { input = "data/{sample}.txt"  output = "out/{sample}.txt"  shell = "cat ${input} ${input[0]} > ${output}" }`,
			wc:     a,
			inputs: paths("data/a.txt"),
			shell:  str("cat data/a.txt data/a.txt > out/a.txt"),
		},
		{
			name:    "list input flattens expand and cleans",
			src:     `rule "r" { input = ["ref//genome.fa", expand("x/{n}/./{sample}.txt", { n = [1, 2], sample = wildcards.sample })]  output = ["out/./{sample}.txt"] }`,
			wc:      a,
			inputs:  paths("ref/genome.fa", "x/1/a.txt", "x/2/a.txt"),
			outputs: paths("out/a.txt"),
		},
		{
			name: "named input keeps declaration order",
			src: `rule "r" {
			  input  = { zebra = "z/{sample}.txt", alpha = ["a1.txt", "a2.txt"] }
			  output = "out/{sample}.txt"
			  shell  = "tool --z ${input.zebra} --a ${input.alpha} --first ${input.alpha[0]} all: ${input}"
			}`,
			wc:     a,
			inputs: []Path{{Name: "zebra", Path: "z/a.txt"}, {Name: "alpha", Path: "a1.txt"}, {Name: "alpha", Path: "a2.txt"}},
			shell:  str("tool --z z/a.txt --a a1.txt a2.txt --first a1.txt all: z/a.txt a1.txt a2.txt"),
		},
		{
			name:    "named output and log",
			src:     `rule "r" { output = { table = "t/{sample}.tsv", plot = "p/{sample}.png" }  log = { err = "logs/{sample}.err" }  shell = "x ${output.plot} ${output} 2> ${log.err}" }`,
			wc:      a,
			outputs: []Path{{Name: "table", Path: "t/a.tsv"}, {Name: "plot", Path: "p/a.png"}},
			log:     []Path{{Name: "err", Path: "logs/a.err"}},
			shell:   str("x p/a.png t/a.tsv p/a.png 2> logs/a.err"),
		},
		{
			name:   "input computed from config by wildcards",
			src:    `rule "r" { input = [config.units[wildcards.sample]]  output = "out/{sample}.txt" }`,
			wc:     map[string]string{"sample": "b"},
			inputs: paths("raw/b.fq"),
		},
		{
			name:   "expand over config, all rule",
			rule:   "all",
			src:    `rule "all" { input = expand(["plots/{sample}.png", "stats/{sample}.{ext}"], { sample = config.samples, ext = "tsv" }) }`,
			inputs: paths("plots/a.png", "plots/b.png", "stats/a.tsv", "stats/b.tsv"),
		},
		{
			name:   "double braces become the rule's wildcards",
			src:    `rule "r" { input = expand("x/{n}.{{sample}}.txt", { n = [1, 2] })  output = "out/{sample}.txt" }`,
			wc:     a,
			inputs: paths("x/1.a.txt", "x/2.a.txt"),
		},
		{
			name: "flags",
			src: `rule "r" {
			  input  = [ancient("ref.fa"), "data/{sample}.txt"]
			  output = [temp("tmp/{sample}"), protected("keep/{sample}"), directory("dir/{sample}"), touch("flag/{sample}")]
			}`,
			wc:      a,
			inputs:  []Path{{Path: "ref.fa", Flags: Ancient}, {Path: "data/a.txt"}},
			outputs: []Path{{Path: "tmp/a", Flags: Temp}, {Path: "keep/a", Flags: Protected}, {Path: "dir/a", Flags: Directory}, {Path: "flag/a", Flags: Touch}},
		},
		{
			name:   "flags survive expand",
			src:    `rule "r" { input = expand(temp("x/{n}.txt"), { n = [1, 2] })  output = "out/{sample}" }`,
			wc:     a,
			inputs: []Path{{Path: "x/1.txt", Flags: Temp}, {Path: "x/2.txt", Flags: Temp}},
		},
		{
			name: "shell quotes file names, not the author's values",
			src: `rule "r" {
			  input  = ["data/{sample}.txt", "it's.txt"]
			  output = "out/{sample}.txt"
			  params = { flags = "-a -b", n = 2.5, list = ["p", "q r"] }
			  shell  = "tool ${params.flags} ${params.n} ${params.list} ${config.flags} ${input} -s ${wildcards.sample} > ${output}; echo $${HOME} $HOME"
			}`,
			wc:    map[string]string{"sample": "$(rm -rf ~)"},
			shell: str(`tool -a -b 2.5 p 'q r' -x -y 'data/$(rm -rf ~).txt' 'it'\''s.txt' -s '$(rm -rf ~)' > 'out/$(rm -rf ~).txt'; echo ${HOME} $HOME`),
		},
		{
			name: "a list the author wrote is its elements, each quoted",
			src: `rule "r" {
			  output = "out"
			  params = { flags = ["-v", "two words", "it's", "", 3, ["n m"]], one = "-a -b", strs = ["-x", "y z"] }
			  shell  = "t ${params.flags} ${params.one} ${join(" ", params.strs)} %{ for f in params.flags }[${f}]%{ endfor }"
			}`,
			shell: str(`t -v 'two words' 'it'\''s' '' 3 'n m' -a -b -x y z [-v][two words][it's][][3]['n m']`),
		},
		{
			name: "named inputs and outputs are also positional",
			src: `rule "r" {
			  input  = { reads = ["r 1.fq", "r2.fq"], ref = "g.fa" }
			  output = { aln = "o.aln", stats = "o.stats" }
			  shell  = "x ${input[0]} ${input[2]} ${output[1]} ${input.ref}"
			}`,
			shell: str(`x 'r 1.fq' g.fa o.stats g.fa`),
		},
		{
			name:    "a message inserts list elements unquoted",
			src:     `rule "r" { output = "out"  params = { flags = ["-v", "two words"] }  message = "with ${params.flags}" }`,
			message: str("with -v two words"),
		},
		{
			name:  "spaces, index and function results",
			src:   `rule "r" { input = ["in/{sample} 1.txt", "in/b.txt"]  output = "out/{sample}"  shell = "cat ${input[0]} ${input[1]} ${join(",", input)} ${upper("x y")}" }`,
			wc:    map[string]string{"sample": "my file"},
			shell: str(`cat 'in/my file 1.txt' in/b.txt 'in/my file 1.txt,in/b.txt' X Y`),
		},
		{
			name:    "message is never quoted",
			src:     `rule "r" { input = "in/{sample}"  output = "out/{sample}"  message = "making ${output} from ${input} for ${wildcards.sample}" }`,
			wc:      map[string]string{"sample": "a b"},
			message: str("making out/a b from in/a b for a b"),
		},
		{
			name: "heredoc and directives",
			src: `rule "r" {
input  = ["x.txt", "y z.txt"]
output = "out/{sample}"
params = { verbose = true }
shell  = <<EOT
%{ for f in input ~}
cat ${f} >> ${output}
%{ endfor ~}
%{ if params.verbose }echo ${wildcards.sample}%{ else }true%{ endif }
EOT
}`,
			wc:    map[string]string{"sample": "s'1"},
			shell: str("cat x.txt >> 'out/s'\\''1'\ncat 'y z.txt' >> 'out/s'\\''1'\necho 's'\\''1'\n"),
		},
		{
			name:  "literal shell, no interpolation",
			src:   `rule "r" { output = "out.txt"  shell = "echo hi > out.txt" }`,
			shell: str("echo hi > out.txt"),
		},
		{
			name: "threads clamped to cores",
			src:  `rule "r" { output = "o"  threads = 8  shell = "t ${threads}" }`,
			env:  Env{Cores: 4},
			check: func(t *testing.T, j *Job) {
				if j.Threads != 4 || j.Shell != "t 4" {
					t.Errorf("threads %d, shell %q", j.Threads, j.Shell)
				}
			},
		},
		{
			name: "threads without clamp, resources, priority, retries, script",
			src: `rule "r" {
			  input     = ["a", "b"]
			  output    = "o"
			  threads   = length(input) * 4
			  resources = { mem_mb = threads * 100, partition = "short", gpu = null }
			  params    = { mem = resources.mem_mb }
			  priority  = -2
			  retries   = 3
			  script    = "scripts/./plot.py"
			}`,
			check: func(t *testing.T, j *Job) {
				if j.Threads != 8 {
					t.Errorf("threads %d", j.Threads)
				}
				if !reflect.DeepEqual(j.Resources, map[string]int64{"mem_mb": 800}) || !reflect.DeepEqual(j.ResourceText, map[string]string{"partition": "short"}) {
					t.Errorf("resources %v %v", j.Resources, j.ResourceText)
				}
				if !j.Params.GetAttr("mem").RawEquals(cty.NumberIntVal(800)) {
					t.Errorf("params %#v", j.Params)
				}
				if j.Priority != -2 || j.Retries != 3 || j.Script != "scripts/plot.py" || j.Shell != "" {
					t.Errorf("priority %d retries %d script %q shell %q", j.Priority, j.Retries, j.Script, j.Shell)
				}
			},
		},
		{
			name: "defaults",
			src:  `rule "r" { output = "o" }`,
			check: func(t *testing.T, j *Job) {
				if j.Threads != 1 || !j.Params.RawEquals(cty.EmptyObjectVal) || len(j.Inputs) != 0 || j.Pending || j.Message != "" {
					t.Errorf("job %+v", j)
				}
			},
		},
		{
			name: "log and benchmark with wildcards, params see them",
			src: `rule "r" {
			  output    = "o/{sample}"
			  log       = "logs/{sample}.log"
			  benchmark = "bench/{sample}.tsv"
			  params    = { tag = "${rule}-${wildcards.sample}", log = log[0] }
			  shell     = "x 2> ${log} # ${benchmark} ${params.tag} ${params.log}"
			}`,
			wc:  map[string]string{"sample": "a b"},
			log: paths("logs/a b.log"),
			check: func(t *testing.T, j *Job) {
				if j.Benchmark != "bench/a b.tsv" {
					t.Errorf("benchmark %q", j.Benchmark)
				}
				// params are the author's: inserted as written even when
				// built from wildcards.
				if want := "x 2> 'logs/a b.log' # 'bench/a b.tsv' r-a b logs/a b.log"; j.Shell != want {
					t.Errorf("shell\n got %q\nwant %q", j.Shell, want)
				}
			},
		},
		{
			name:   "basename, dirname and stdlib",
			src:    `rule "r" { input = ["${dirname("a/b/c.txt")}/${basename("x/y.fq")}", format("%s-%03d.txt", "n", 7)]  output = "o" }`,
			inputs: paths("a/b/y.fq", "n-007.txt"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := c.src
			if !strings.Contains(src, "\n") {
				// One-line rules list their attributes two spaces apart;
				// HCL wants one attribute per line.
				src = strings.ReplaceAll(src, "  ", "\n")
				src = strings.Replace(src, "\" { ", "\" {\n", 1)
				src = strings.TrimSuffix(src, " }") + "\n}"

			}
			wf := parse(t, cfg+src)
			rule := c.rule
			if rule == "" {
				rule = "r"
			}
			j := eval(t, wf, rule, c.wc, c.env)
			if c.inputs != nil && !reflect.DeepEqual(j.Inputs, c.inputs) {
				t.Errorf("inputs\n got %+v\nwant %+v", j.Inputs, c.inputs)
			}
			if c.outputs != nil && !reflect.DeepEqual(j.Outputs, c.outputs) {
				t.Errorf("outputs\n got %+v\nwant %+v", j.Outputs, c.outputs)
			}
			if c.log != nil && !reflect.DeepEqual(j.Log, c.log) {
				t.Errorf("log\n got %+v\nwant %+v", j.Log, c.log)
			}
			if c.shell != nil && j.Shell != *c.shell {
				t.Errorf("shell\n got %q\nwant %q", j.Shell, *c.shell)
			}
			if c.message != nil && j.Message != *c.message {
				t.Errorf("message\n got %q\nwant %q", j.Message, *c.message)
			}
			if c.check != nil {
				c.check(t, j)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"data/a.txt":   "data/a.txt",
		"a-b_c@d%e+f=": "a-b_c@d%e+f=",
		"":             "''",
		"a b":          "'a b'",
		"it's":         `'it'\''s'`,
		"$(rm -rf ~)":  "'$(rm -rf ~)'",
		"~/x":          "'~/x'",
		"a;b":          "'a;b'",
		"*.txt":        "'*.txt'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEvalErrors checks that evaluation errors point at the expression and
// name the job.
func TestEvalErrors(t *testing.T) {
	cases := []struct {
		name, src string
		wc        map[string]string
		summary   string
		line      int
	}{
		{
			name:    "missing config key",
			src:     "config {\n  units = {}\n}\nrule \"r\" {\n  output = \"o/{sample}\"\n  input = config.units[wildcards.sample]\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Invalid index",
			line:    6,
		},
		{
			name:    "named input index out of range",
			src:     "rule \"r\" {\n  input = { a = \"x\" }\n  output = \"o/{sample}\"\n  shell = \"cat ${input[1]}\"\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Invalid index",
			line:    4,
		},
		{
			name:    "computed path with a foreign wildcard",
			src:     "config {\n  pattern = \"in/{unit}.txt\"\n}\nrule \"r\" {\n  output = \"o/{sample}\"\n  input = config.pattern\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Unknown wildcard",
			line:    6,
		},
		{
			name:    "wrong input type",
			src:     "rule \"r\" {\n  output = \"o/{sample}\"\n  input = [{ a = wildcards.sample }]\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Incorrect attribute value type",
			line:    3,
		},
		{
			name:    "threads from wildcards",
			src:     "rule \"r\" {\n  output = \"o/{sample}\"\n  threads = wildcards.sample\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Incorrect attribute value type",
			line:    3,
		},
		{
			name:    "missing wildcard value",
			src:     "rule \"r\" {\n  output = \"o/{sample}\"\n}\n",
			wc:      map[string]string{},
			summary: "Missing wildcard value",
			line:    2,
		},
		{
			name:    "null in shell",
			src:     "rule \"r\" {\n  output = \"o/{sample}\"\n  params = { x = null }\n  shell = \"echo ${params.x}\"\n}\n",
			wc:      map[string]string{"sample": "a"},
			summary: "Invalid template interpolation value",
			line:    4,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wf := parse(t, c.src)
			j, diags := wf.Rules[len(wf.Rules)-1].Eval(c.wc, Env{})
			if j != nil || !diags.HasErrors() {
				t.Fatalf("want an error, got job %v, %v", j, diags)
			}
			d := diags[0]
			if !strings.Contains(d.Summary, c.summary) || d.Subject == nil || d.Subject.Start.Line != c.line {
				t.Errorf("got %s", diagString(d))
			}
			where := "In " + JobName("r", c.wc, Ruled) + "."
			if !strings.HasSuffix(d.Detail, where) {
				t.Errorf("detail %q does not end with %q", d.Detail, where)
			}
			var b bytes.Buffer
			if err := wf.WriteDiagnostics(&b, diags, 80); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "on Rulefile line ") || !strings.Contains(b.String(), where) {
				t.Errorf("rendered:\n%s", b.String())
			}
		})
	}
}

const checkpointSrc = `
checkpoint "split" {
  input  = "data/{sample}.txt"
  output = directory("parts/{sample}")
  shell  = "split ${input} ${output}"
}

rule "gather" {
  input = concat(["data/{sample}.txt"], expand("parts/{sample}/{i}.txt", {
    sample = wildcards.sample
    i      = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{i}.txt").i
  }))
  output = "gathered/{sample}.txt"
  shell  = "cat ${input} > ${output}"
}

rule "partial" {
  input  = ["static/{sample}.txt", checkpoint_output("split", { sample = wildcards.sample, extra = "ignored" })]
  output = "partial/{sample}.txt"
}
`

func TestCheckpointOutput(t *testing.T) {
	wf := parse(t, checkpointSrc)
	wc := map[string]string{"sample": "a"}
	ref := CheckpointRef{Rule: "split", Wildcards: map[string]string{"sample": "a"}}

	// Not done: pending, only the known inputs, and the reference.
	for _, env := range []Env{{}, {CheckpointDone: func(CheckpointRef) bool { return false }}} {
		j := eval(t, wf, "gather", wc, env)
		if !j.Pending || len(j.Inputs) != 0 || j.Shell != "" {
			t.Errorf("pending job: %+v", j)
		}
		if !reflect.DeepEqual(j.Checkpoints, []CheckpointRef{ref}) {
			t.Errorf("checkpoints %+v", j.Checkpoints)
		}
		if !reflect.DeepEqual(j.Outputs, paths("gathered/a.txt")) {
			t.Errorf("outputs %+v", j.Outputs)
		}
	}
	j := eval(t, wf, "partial", wc, Env{})
	if !j.Pending || !reflect.DeepEqual(j.Inputs, paths("static/a.txt")) || !reflect.DeepEqual(j.Checkpoints, []CheckpointRef{ref}) {
		t.Errorf("partial job: %+v", j)
	}

	// Done: the checkpoint's outputs are on disk and glob_wildcards finds them.
	dir := t.TempDir()
	for _, f := range []string{"parts/a/1.txt", "parts/a/2.txt", "parts/b/9.txt"} {
		writeFile(t, filepath.Join(dir, f), "")
	}
	var asked []CheckpointRef
	env := Env{Dir: dir, CheckpointDone: func(r CheckpointRef) bool { asked = append(asked, r); return true }}
	j = eval(t, wf, "gather", wc, env)
	if j.Pending || !reflect.DeepEqual(j.Inputs, paths("data/a.txt", "parts/a/1.txt", "parts/a/2.txt")) {
		t.Errorf("done job: %+v", j)
	}
	if want := "cat data/a.txt parts/a/1.txt parts/a/2.txt > gathered/a.txt"; j.Shell != want {
		t.Errorf("shell %q", j.Shell)
	}
	if !reflect.DeepEqual(asked, []CheckpointRef{ref}) || !reflect.DeepEqual(j.Checkpoints, []CheckpointRef{ref}) {
		t.Errorf("asked %+v, checkpoints %+v", asked, j.Checkpoints)
	}
	j = eval(t, wf, "partial", wc, env)
	if j.Pending || !reflect.DeepEqual(j.Inputs, []Path{{Path: "static/a.txt"}, {Path: "parts/a"}}) {
		t.Errorf("done partial job: %+v", j)
	}

	// A rule that is not a checkpoint is an error at Eval too (its name
	// is computed, so Load cannot see it).
	wf = parse(t, `
rule "split" { output = "parts/{sample}" }
rule "r" {
  input  = checkpoint_output(join("", ["sp", "lit"]), wildcards)
  output = "o/{sample}"
}`)
	if _, diags := wf.ByName["r"].Eval(wc, Env{}); !diags.HasErrors() || !strings.Contains(diags.Error(), "not a checkpoint") {
		t.Errorf("diags %v", diags)
	}
}

func TestGlobWildcards(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"data/b.txt", "data/a.txt", "data/c.csv", "other/z.txt"} {
		writeFile(t, filepath.Join(dir, f), "")
	}
	writeFile(t, filepath.Join(dir, "Rulefile"), `
config {
  samples = glob_wildcards("./data/{s}.txt").s
}
rule "all" {
  input = expand("out/{s}.txt", { s = config.samples })
}
rule "r" {
  input  = expand("data/{s}.txt", { s = glob_wildcards("data/{s}.txt").s })
  output = "o/{x}"
  shell  = "echo ${glob_wildcards("data/{s}.txt").s}"
}
`)
	wf, diags := Load(filepath.Join(dir, "Rulefile"), Options{Dir: dir})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := eval(t, wf, "all", nil, Env{Dir: dir}).Inputs; !reflect.DeepEqual(got, paths("out/a.txt", "out/b.txt")) {
		t.Errorf("all inputs %+v", got)
	}
	j := eval(t, wf, "r", map[string]string{"x": "1"}, Env{Dir: dir})
	if !reflect.DeepEqual(j.Inputs, paths("data/a.txt", "data/b.txt")) || j.Shell != "echo a b" {
		t.Errorf("job %+v", j)
	}
	// Relative to Env.Dir, not the process's directory.
	j = eval(t, wf, "r", map[string]string{"x": "1"}, Env{Dir: filepath.Join(dir, "other")})
	if len(j.Inputs) != 0 {
		t.Errorf("inputs from the wrong directory: %+v", j.Inputs)
	}
}

// A pattern the author wrote above the working directory globs there.
func TestGlobWildcardsAboveDir(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"data/a.fq", "data/b.fq", "proj/Rulefile"} {
		writeFile(t, filepath.Join(dir, f), "")
	}
	work := filepath.Join(dir, "proj")
	writeFile(t, filepath.Join(work, "Rulefile"), `
rule "all" {
  input = expand("../data/{s}.fq", { s = glob_wildcards("../data/{s}.fq").s })
}
`)
	wf, diags := Load(filepath.Join(work, "Rulefile"), Options{Dir: work})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := eval(t, wf, "all", nil, Env{Dir: work}).Inputs; !reflect.DeepEqual(got, paths("../data/a.fq", "../data/b.fq")) {
		t.Errorf("all inputs %+v", got)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEvalConcurrent evaluates one rule from many goroutines, as the
// scheduler may; run with -race.
func TestEvalConcurrent(t *testing.T) {
	wf := parse(t, `
rule "r" {
  input  = expand("in/{sample}.{n}.txt", { n = [1, 2], sample = wildcards.sample })
  output = "out/{sample}.txt"
  shell  = "cat ${input} > ${output}"
}`)
	r := wf.ByName["r"]
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func(i int) {
			s := string(rune('a' + i))
			j, diags := r.Eval(map[string]string{"sample": s}, Env{})
			if diags.HasErrors() {
				done <- diags.Error()
				return
			}
			want := "cat in/" + s + ".1.txt in/" + s + ".2.txt > out/" + s + ".txt"
			if j.Shell != want {
				done <- j.Shell
				return
			}
			done <- ""
		}(i)
	}
	for i := 0; i < 8; i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
