// Command gen writes one workflow several ways — Rulefile, Snakefile,
// Makefile and, for a -shape, build.ninja — so flowmake and its peers are
// measured on the same graph.
//
// Without -shape: `stages` chained rules over `samples` samples, plus a
// rule all. Stage 1 has no input (it writes the sample name), so no
// source files are needed and the job count is samples*stages + 1.
//
// With -shape (fan, pipeline, chain, critical, checkpoint) and -n: the
// issue-12 workloads (see shapes.go). gen prints the job count of a full
// build, which the benchmark runner checks each tool's run against.
//
//	go run ./bench/gen -dir /tmp/w -samples 33333 -stages 3
//	go run ./bench/gen -dir /tmp/s -sleep 1 -samples 16 -stages 1
//	go run ./bench/gen -dir /tmp/f -shape fan -n 100000
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "directory to write the workflow into (created)")
	samples := flag.Int("samples", 1000, "number of samples")
	stages := flag.Int("stages", 3, "chained rules per sample")
	sleep := flag.Float64("sleep", 0, "seconds each job sleeps (0: a trivial echo)")
	shapeName := flag.String("shape", "", "workload: fan, pipeline, chain, critical or checkpoint")
	n := flag.Int("n", 1000, "size of the -shape workload")
	built := flag.Bool("built", false, "also write what a full build leaves: every output and Ninja's .ninja_log (shapes with a build.ninja)")
	flag.Parse()
	if *shapeName != "" {
		sh, ok := shapes[*shapeName]
		if !ok || *dir == "" || *n < 1 {
			fmt.Fprintf(os.Stderr, "gen: -shape is one of fan, pipeline, chain, critical, checkpoint; -dir and -n >= 1 are needed\n")
			os.Exit(2)
		}
		if err := writeShape(*dir, sh, *n, *sleep); err != nil {
			log.Fatal(err)
		}
		if *built {
			if err := writeBuilt(*dir); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Println(sh.jobs(*n))
		return
	}
	if *dir == "" || *samples < 1 || *stages < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("Rulefile", rulefile(*samples, *stages, *sleep))
	write("Makefile", makefile(*samples, *stages, *sleep))
	write("Snakefile", snakefile(*samples, *stages, *sleep))
}

func cmd(sleep float64, sh string) string {
	var b strings.Builder
	if sleep > 0 {
		fmt.Fprintf(&b, "sleep %g; ", sleep)
	}
	b.WriteString(sh)
	return b.String()
}

func rulefile(samples, stages int, sleep float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "config {\n  n = %d\n}\n\n", samples)
	fmt.Fprintf(&b, "rule \"all\" {\n  input = expand(\"s%d/{s}.txt\", { s = [for i in range(config.n) : tostring(i)] })\n}\n\n", stages)
	for k := 1; k <= stages; k++ {
		fmt.Fprintf(&b, "rule \"s%d\" {\n", k)
		if k > 1 {
			fmt.Fprintf(&b, "  input  = \"s%d/{s}.txt\"\n", k-1)
		}
		fmt.Fprintf(&b, "  output = \"s%d/{s}.txt\"\n", k)
		if k == 1 {
			fmt.Fprintf(&b, "  shell  = \"%s\"\n", cmd(sleep, "echo ${wildcards.s} > ${output}"))
		} else {
			fmt.Fprintf(&b, "  shell  = \"%s\"\n", cmd(sleep, "cat ${input} > ${output}"))
		}
		b.WriteString("}\n\n")
	}
	return b.String()
}

func makefile(samples, stages int, sleep float64) string {
	var b strings.Builder
	b.WriteString("all:")
	for i := 0; i < samples; i++ {
		fmt.Fprintf(&b, " s%d/%d.txt", stages, i)
	}
	b.WriteString("\n.PHONY: all\n\n")
	for k := 1; k <= stages; k++ {
		if k == 1 {
			fmt.Fprintf(&b, "s1/%%.txt:\n\t@mkdir -p s1 && %s\n\n", cmd(sleep, "echo $* > $@"))
		} else {
			fmt.Fprintf(&b, "s%d/%%.txt: s%d/%%.txt\n\t@mkdir -p s%d && %s\n\n", k, k-1, k, cmd(sleep, "cat $< > $@"))
		}
	}
	// Keep intermediates: make would otherwise delete them as it does
	// for files made by chains of pattern rules.
	b.WriteString(".SECONDARY:\n")
	return b.String()
}

func snakefile(samples, stages int, sleep float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule all:\n    input: expand(\"s%d/{s}.txt\", s=[str(i) for i in range(%d)])\n\n", stages, samples)
	for k := 1; k <= stages; k++ {
		fmt.Fprintf(&b, "rule s%d:\n", k)
		if k > 1 {
			fmt.Fprintf(&b, "    input: \"s%d/{s}.txt\"\n", k-1)
		}
		fmt.Fprintf(&b, "    output: \"s%d/{s}.txt\"\n", k)
		if k == 1 {
			fmt.Fprintf(&b, "    shell: \"%s\"\n\n", cmd(sleep, "echo {wildcards.s} > {output}"))
		} else {
			fmt.Fprintf(&b, "    shell: \"%s\"\n\n", cmd(sleep, "cat {input} > {output}"))
		}
	}
	return b.String()
}

// writeShape writes the shape's four files into dir; a peer that cannot
// express it gets no file.
func writeShape(dir string, sh shape, n int, sleep float64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range map[string]string{
		"Rulefile":    sh.rulefile(n, sleep),
		"Snakefile":   sh.snakefile(n, sleep),
		"Makefile":    sh.makefile(n, sleep),
		"build.ninja": sh.ninja(n, sleep),
	} {
		if text == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
