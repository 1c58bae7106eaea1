package rules

import (
	"strings"
	"testing"
)

func TestZZCorpus(t *testing.T) {
	srcs := []string{`
config {
  samples = ["a", "b"]
  pre = "x"
  n = 3
}
rule "c1" {
  input = "in/{s}.txt"
  output = "o1/{s}.txt"
  shell = "cat ${input} > ${output} # ${wildcards.s} ${wildcards["s"]}"
}
rule "c2" {
  input = { a = temp("in/{s}.a"), b = ["in/{s}.b1", "in/./{s}.b2"], c = "ref//x" }
  output = { o = "o2/{s}.txt" }
  log = "logs/{s}.log"
  benchmark = "bench/{s}.tsv"
  message = "m ${input.a} ${input} ${output.o} ${log} ${benchmark} ${wildcards.s}"
  shell = "s ${input.b} ${input} ${output} ${log[0]} ${benchmark} ${wildcards.s}"
}
rule "c3" {
  input = [for x in config.samples : "${config.pre}/${x}/{s}"]
  output = "o3/{s}/{t}.txt"
  shell = <<EOT
%{ for input in ["q r", "s"] ~}
${input} ${wildcards.t}
%{ endfor ~}
%{ for wildcards in [{s = "z z"}] ~}
${wildcards.s}
%{ endfor ~}
%{ for k, v in wildcards ~}
${k}=${v}
%{ endfor ~}
%{ if wildcards.s == "a" }A ${output}%{ else }B ${input}%{ endif }
EOT
}
rule "c4" {
  input = format("{%s}/f", "s")
  output = "o4/{s}"
  benchmark = "b/{s}"
  shell = "${wildcards.s}${wildcards.s} ${input}"
}
rule "c5" {
  input = "in/{u}"
  output = "o5/{s}"
}
rule "c6" {
  input = ["", "x"]
  output = "o6/{s}"
}
rule "c7" {
  output = "o7/{s}"
  log = []
  input = null
  benchmark = null
  shell = "${input} ${log} ${benchmark} ${threads} ${resources} ${params}"
}
rule "c8" {
  output = "o8/{s}"
  input = "{s}"
  threads = 2
  resources = { mem = 5 }
  params = { p = input[0] }
  shell = "${params.p} ${threads} ${resources.mem} ${rule}"
}
rule "c9" {
  input = "x/{s,[a-z]+}/{{lit}}"
  output = "o9/{s}"
  shell = "${input}"
}
rule "c10" {
  input = ["x/{s}"]
  output = "o10/{s}"
  message = "${wildcards.nope}"
}
rule "c11" {
  output = "o11/{s}"
  shell = "echo ${wildcards.s} ${output}"
}
rule "c12" {
  input = "{s}/{{"
  output = "o12/{s}"
}
`}
	wcs := []map[string]string{
		{"s": "a"}, {"s": "b c"}, {"s": "$(rm -rf ~)"}, {"s": "e\u0301"}, {"s": "\u00e9"}, {"s": "it's"},
		{"s": "a", "t": "t1"}, {"s": "x", "extra": "y"}, {}, nil, {"t": "1"}, {"s": ""}, {"s": "{u}"}, {"s": "a/../b"},
	}
	for _, src := range srcs {
		wf, diags := Parse([]byte(src), "Rulefile")
		if diags.HasErrors() {
			var b strings.Builder
			_ = wf.WriteDiagnostics(&b, diags, 80)
			t.Log(b.String())
		}
		for _, r := range wf.Rules {
			for _, wc := range wcs {
				for _, env := range []Env{{}, {Cores: 1}} {
					r.Eval(wc, env)
				}
			}
		}
	}
}
