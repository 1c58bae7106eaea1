package main

import (
	"fmt"
	"strings"
)

// A shape is one benchmark workload written four ways, each the same graph
// of jobs for its tool. A peer that cannot express the shape (make and
// Ninja have no checkpoints) gets "" and is not measured on it.
type shape struct {
	doc                                  string
	jobs                                 func(n int) int // jobs a full build runs
	rulefile, snakefile, makefile, ninja func(n int, sleep float64) string
}

// The critical shape's long chain: criticalDepth jobs of `slow` seconds
// (-sleep, 1 by default) beside n short jobs of a quarter of that. At -j2
// with n = 4*criticalDepth the chain is the lower bound of the makespan
// (the short jobs' work fits beside it), and a scheduler that runs the
// short jobs first is a quarter of the chain slower.
const criticalDepth = 10

func criticalTimes(sleep float64) (slow, fast float64) {
	if sleep <= 0 {
		sleep = 1
	}
	return sleep, sleep / 4
}

var shapes = map[string]shape{
	"fan": {
		doc:  "N wildcard jobs out/{i}.txt and one aggregate all.txt",
		jobs: func(n int) int { return n + 1 },
		rulefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule "all" {
  input  = expand("out/{i}.txt", { i = [for i in range(%d) : tostring(i)] })
  output = "all.txt"
  shell  = "echo %d > ${output}"
}

rule "item" {
  output = "out/{i}.txt"
  shell  = "%s"
}
`, n, n, cmd(sleep, "echo ${wildcards.i} > ${output}"))
		},
		snakefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule all:
    input: expand("out/{i}.txt", i=range(%d))
    output: "all.txt"
    shell: "echo %d > {output}"

rule item:
    output: "out/{i}.txt"
    shell: "%s"
`, n, n, cmd(sleep, "echo {wildcards.i} > {output}"))
		},
		makefile: func(n int, sleep float64) string {
			var b strings.Builder
			b.WriteString("all.txt:")
			numbered(&b, "out", n)
			fmt.Fprintf(&b, "\n\t@echo %d > $@\n\nout/%%.txt:\n\t@mkdir -p out && %s\n", n, cmd(sleep, "echo $* > $@"))
			return b.String()
		},
		ninja: func(n int, sleep float64) string {
			var b strings.Builder
			fmt.Fprintf(&b, "rule item\n  command = %s\nrule all\n  command = echo %d > $out\n", cmd(sleep, "echo $i > $out"), n)
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "build out/%d.txt: item\n  i = %d\n", i, i)
			}
			b.WriteString("build all.txt: all")
			numbered(&b, "out", n)
			b.WriteString("\ndefault all.txt\n")
			return b.String()
		},
	},
	"pipeline": {
		doc:  "N samples x 3 wildcard stages (a, b, c) and an aggregate",
		jobs: func(n int) int { return 3*n + 1 },
		rulefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule "all" {
  input  = expand("c/{s}.txt", { s = [for i in range(%d) : tostring(i)] })
  output = "all.txt"
  shell  = "echo %d > ${output}"
}

rule "a" {
  output = "a/{s}.txt"
  shell  = "%s"
}

rule "b" {
  input  = "a/{s}.txt"
  output = "b/{s}.txt"
  shell  = "%s"
}

rule "c" {
  input  = "b/{s}.txt"
  output = "c/{s}.txt"
  shell  = "%s"
}
`, n, n, cmd(sleep, "echo ${wildcards.s} > ${output}"), cmd(sleep, "cat ${input} > ${output}"), cmd(sleep, "cat ${input} > ${output}"))
		},
		snakefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule all:
    input: expand("c/{s}.txt", s=range(%d))
    output: "all.txt"
    shell: "echo %d > {output}"

rule a:
    output: "a/{s}.txt"
    shell: "%s"

rule b:
    input: "a/{s}.txt"
    output: "b/{s}.txt"
    shell: "%s"

rule c:
    input: "b/{s}.txt"
    output: "c/{s}.txt"
    shell: "%s"
`, n, n, cmd(sleep, "echo {wildcards.s} > {output}"), cmd(sleep, "cat {input} > {output}"), cmd(sleep, "cat {input} > {output}"))
		},
		makefile: func(n int, sleep float64) string {
			var b strings.Builder
			b.WriteString("all.txt:")
			numbered(&b, "c", n)
			fmt.Fprintf(&b, "\n\t@echo %d > $@\n\n", n)
			fmt.Fprintf(&b, "a/%%.txt:\n\t@mkdir -p a && %s\n\n", cmd(sleep, "echo $* > $@"))
			fmt.Fprintf(&b, "b/%%.txt: a/%%.txt\n\t@mkdir -p b && %s\n\n", cmd(sleep, "cat $< > $@"))
			fmt.Fprintf(&b, "c/%%.txt: b/%%.txt\n\t@mkdir -p c && %s\n\n", cmd(sleep, "cat $< > $@"))
			// Keep intermediates, which make deletes after a chain of
			// pattern rules.
			b.WriteString(".SECONDARY:\n")
			return b.String()
		},
		ninja: func(n int, sleep float64) string {
			var b strings.Builder
			fmt.Fprintf(&b, "rule a\n  command = %s\nrule cat\n  command = %s\nrule all\n  command = echo %d > $out\n",
				cmd(sleep, "echo $s > $out"), cmd(sleep, "cat $in > $out"), n)
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "build a/%d.txt: a\n  s = %d\nbuild b/%d.txt: cat a/%d.txt\nbuild c/%d.txt: cat b/%d.txt\n", i, i, i, i, i, i)
			}
			b.WriteString("build all.txt: all")
			numbered(&b, "c", n)
			b.WriteString("\ndefault all.txt\n")
			return b.String()
		},
	},
	"chain": {
		doc:  "a chain of depth N: c/0.txt, then c/{i}.txt from c/{i-1}.txt, and a rule all",
		jobs: func(n int) int { return n + 1 },
		rulefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule "all" {
  input = "c/%d.txt"
}

rule "first" {
  output = "c/0.txt"
  shell  = "%s"
}

rule "link" {
  input  = "c/${tonumber(wildcards.i) - 1}.txt"
  output = "c/{i,[1-9][0-9]*}.txt"
  shell  = "%s"
}
`, n-1, cmd(sleep, "echo 0 > ${output}"), cmd(sleep, "cat ${input} > ${output}"))
		},
		snakefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule all:
    input: "c/%d.txt"

rule first:
    output: "c/0.txt"
    shell: "%s"

rule link:
    input: lambda w: "c/%%d.txt" %% (int(w.i) - 1)
    output: "c/{i,[1-9][0-9]*}.txt"
    shell: "%s"
`, n-1, cmd(sleep, "echo 0 > {output}"), cmd(sleep, "cat {input} > {output}"))
		},
		makefile: func(n int, sleep float64) string {
			// make's pattern rules cannot compute i-1: explicit rules.
			var b strings.Builder
			fmt.Fprintf(&b, "c/%d.txt:\nc/0.txt:\n\t@mkdir -p c && %s\n", n-1, cmd(sleep, "echo 0 > $@"))
			for i := 1; i < n; i++ {
				fmt.Fprintf(&b, "c/%d.txt: c/%d.txt\n\t@%s\n", i, i-1, cmd(sleep, "cat $< > $@"))
			}
			return b.String()
		},
		ninja: func(n int, sleep float64) string {
			var b strings.Builder
			fmt.Fprintf(&b, "rule first\n  command = %s\nrule cat\n  command = %s\nbuild c/0.txt: first\n",
				cmd(sleep, "echo 0 > $out"), cmd(sleep, "cat $in > $out"))
			for i := 1; i < n; i++ {
				fmt.Fprintf(&b, "build c/%d.txt: cat c/%d.txt\n", i, i-1)
			}
			fmt.Fprintf(&b, "default c/%d.txt\n", n-1)
			return b.String()
		},
	},
	"critical": {
		doc:  fmt.Sprintf("a chain of %d slow jobs (-sleep s, default 1) beside N short independent ones (a quarter of that)", criticalDepth),
		jobs: func(n int) int { return criticalDepth + n + 1 },
		rulefile: func(n int, sleep float64) string {
			criticalSlow, criticalFast := criticalTimes(sleep)
			return fmt.Sprintf(`rule "all" {
  input  = concat(["slow/%d.txt"], expand("fast/{i}.txt", { i = [for i in range(%d) : tostring(i)] }))
  output = "all.txt"
  shell  = "echo done > ${output}"
}

rule "fast" {
  output = "fast/{i}.txt"
  shell  = "sleep %g; echo ${wildcards.i} > ${output}"
}

rule "slow0" {
  output = "slow/0.txt"
  shell  = "sleep %g; echo 0 > ${output}"
}

rule "slow" {
  input  = "slow/${tonumber(wildcards.k) - 1}.txt"
  output = "slow/{k,[1-9][0-9]*}.txt"
  shell  = "sleep %g; cat ${input} > ${output}"
}
`, criticalDepth-1, n, criticalFast, criticalSlow, criticalSlow)
		},
		snakefile: func(n int, sleep float64) string {
			criticalSlow, criticalFast := criticalTimes(sleep)
			return fmt.Sprintf(`rule all:
    input: ["slow/%d.txt"] + expand("fast/{i}.txt", i=range(%d))
    output: "all.txt"
    shell: "echo done > {output}"

rule fast:
    output: "fast/{i}.txt"
    shell: "sleep %g; echo {wildcards.i} > {output}"

rule slow0:
    output: "slow/0.txt"
    shell: "sleep %g; echo 0 > {output}"

rule slow:
    input: lambda w: "slow/%%d.txt" %% (int(w.k) - 1)
    output: "slow/{k,[1-9][0-9]*}.txt"
    shell: "sleep %g; cat {input} > {output}"
`, criticalDepth-1, n, criticalFast, criticalSlow, criticalSlow)
		},
		makefile: func(n int, sleep float64) string {
			criticalSlow, criticalFast := criticalTimes(sleep)
			var b strings.Builder
			fmt.Fprintf(&b, "all.txt: slow/%d.txt", criticalDepth-1)
			numbered(&b, "fast", n)
			fmt.Fprintf(&b, "\n\t@echo done > $@\n\nfast/%%.txt:\n\t@mkdir -p fast && sleep %g && echo $* > $@\n\n", criticalFast)
			fmt.Fprintf(&b, "slow/0.txt:\n\t@mkdir -p slow && sleep %g && echo 0 > $@\n", criticalSlow)
			for k := 1; k < criticalDepth; k++ {
				fmt.Fprintf(&b, "slow/%d.txt: slow/%d.txt\n\t@sleep %g && cat $< > $@\n", k, k-1, criticalSlow)
			}
			return b.String()
		},
		ninja: func(n int, sleep float64) string {
			criticalSlow, criticalFast := criticalTimes(sleep)
			var b strings.Builder
			fmt.Fprintf(&b, "rule fast\n  command = sleep %g && echo $i > $out\nrule slow0\n  command = sleep %g && echo 0 > $out\n"+
				"rule slow\n  command = sleep %g && cat $in > $out\nrule all\n  command = echo done > $out\n",
				criticalFast, criticalSlow, criticalSlow)
			b.WriteString("build slow/0.txt: slow0\n")
			for k := 1; k < criticalDepth; k++ {
				fmt.Fprintf(&b, "build slow/%d.txt: slow slow/%d.txt\n", k, k-1)
			}
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "build fast/%d.txt: fast\n  i = %d\n", i, i)
			}
			fmt.Fprintf(&b, "build all.txt: all slow/%d.txt", criticalDepth-1)
			numbered(&b, "fast", n)
			b.WriteString("\ndefault all.txt\n")
			return b.String()
		},
	},
	"checkpoint": {
		doc:  "a checkpoint that writes N items, one job per item, then an aggregate (flowmake and Snakemake only)",
		jobs: func(n int) int { return n + 2 },
		rulefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`rule "all" {
  input  = expand("done/{i}.txt", { i = glob_wildcards("${checkpoint_output("split", wildcards)[0]}/{i}.txt").i })
  output = "all.txt"
  shell  = "echo done > ${output}"
}

checkpoint "split" {
  output = directory("items")
  shell  = "mkdir -p ${output} && cd ${output} && seq 0 %d | sed 's/$/.txt/' | xargs touch"
}

rule "item" {
  input  = "items/{i}.txt"
  output = "done/{i}.txt"
  shell  = "%s"
}
`, n-1, cmd(sleep, "echo ${wildcards.i} > ${output}"))
		},
		snakefile: func(n int, sleep float64) string {
			return fmt.Sprintf(`def items(wildcards):
    out = checkpoints.split.get().output[0]
    return expand("done/{i}.txt", i=glob_wildcards(out + "/{i}.txt").i)

rule all:
    input: items
    output: "all.txt"
    shell: "echo done > {output}"

checkpoint split:
    output: directory("items")
    shell: "mkdir -p {output} && cd {output} && seq 0 %d | sed 's/$/.txt/' | xargs touch"

rule item:
    input: "items/{i}.txt"
    output: "done/{i}.txt"
    shell: "%s"
`, n-1, cmd(sleep, "echo {wildcards.i} > {output}"))
		},
		makefile: func(int, float64) string { return "" },
		ninja:    func(int, float64) string { return "" },
	},
}

// numbered writes " DIR/0.txt DIR/1.txt ... DIR/(n-1).txt", an aggregate's
// inputs in a Makefile or build.ninja.
func numbered(b *strings.Builder, dir string, n int) {
	for i := 0; i < n; i++ {
		fmt.Fprintf(b, " %s/%d.txt", dir, i)
	}
}
