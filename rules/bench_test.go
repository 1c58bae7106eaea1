package rules

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkEval evaluates one job per iteration for rules shaped like a
// large generated workflow's (bench/gen): output only, a constant input
// (precomputed at load, per job only substituted), and one that goes
// through HCL for params and message.
func BenchmarkEval(b *testing.B) {
	wf, diags := Parse([]byte(`
config { flags = "-v" }
rule "first" {
  output = "s1/{s}.txt"
  shell  = "echo ${wildcards.s} > ${output}"
}
rule "chained" {
  input  = "s1/{s}.txt"
  output = "s2/{s}.txt"
  shell  = "cat ${input} > ${output}"
}
rule "full" {
  input   = { reads = "s2/{s}.txt", ref = "ref.fa" }
  output  = "s3/{s}.txt"
  log     = "logs/{s}.log"
  threads = 2
  params  = { flags = config.flags, tag = "${rule}-${wildcards.s}" }
  message = "aligning ${wildcards.s}"
  shell   = "tool ${params.flags} -t ${threads} ${input.ref} ${input.reads} > ${output} 2> ${log}"
}
`), "Rulefile")
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	for _, name := range []string{"first", "chained", "full"} {
		r := wf.ByName[name]
		b.Run(name, func(b *testing.B) {
			wcs := make([]map[string]string, 1024)
			for i := range wcs {
				wcs[i] = map[string]string{"s": strconv.Itoa(i)}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, diags := r.Eval(wcs[i%len(wcs)], Env{}); diags.HasErrors() {
					b.Fatal(diags)
				}
				i++
			}
		})
	}
}

// BenchmarkLoadFan100k parses and checks the bench/gen fan Rulefile for
// 100,000 items: the aggregate's expand is evaluated at load, over
// strings made by a for expression or over range's numbers directly.
func BenchmarkLoadFan100k(b *testing.B) {
	for _, values := range []string{"[for i in range(100000) : tostring(i)]", "range(100000)"} {
		src := []byte(`
rule "all" {
  input  = expand("out/{i}.txt", { i = ` + values + ` })
  output = "all.txt"
  shell  = "echo 100000 > ${output}"
}
rule "item" {
  output = "out/{i}.txt"
  shell  = "echo ${wildcards.i} > ${output}"
}
`)
		b.Run(strings.Fields(values)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := Parse(src, "Rulefile"); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}
