// Command record plays conformance cases under Snakemake and writes each
// case's expected.yaml. It is run by scripts/record-conformance.sh, by hand,
// never in CI:
//
//	go run ./internal/conformance/record [-snakemake PATH] [-j N] [CASE_DIR...]
//
// Without case directories it records every case under testdata/conformance.
// With -replay FLOWMAKE it writes nothing and instead replays the cases
// against that flowmake binary, as the Go test does, printing one line per
// case; handy while working on a case.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/flowmake/flowmake/internal/conformance"
)

func main() {
	program := flag.String("snakemake", "snakemake", "the snakemake executable")
	parallel := flag.Int("j", 2, "cases recorded at once")
	root := flag.String("root", "testdata/conformance", "where the cases are, when none is named")
	verbose := flag.Bool("v", false, "print each step's outcome")
	replayBin := flag.String("replay", "", "replay against this flowmake binary instead of recording")
	flag.Parse()
	if *replayBin != "" {
		if err := replay(*replayBin, *root, *parallel, *verbose, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "replay:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*program, *root, *parallel, *verbose, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func run(program, root string, parallel int, verbose bool, dirs []string) error {
	out, err := osexec.Command(program, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %w", program, err)
	}
	version := strings.TrimSpace(string(out))
	if !strings.HasPrefix(version, "7.21.") {
		fmt.Fprintf(os.Stderr, "record: warning: snakemake %s; the suite is defined against 7.21\n", version)
	}
	cases, err := load(root, dirs)
	if err != nil {
		return err
	}
	tool := conformance.Snakemake(program)
	sem := make(chan struct{}, max(parallel, 1))
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			log, err := record(c, tool, version)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, c.Name)
				fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
				return
			}
			fmt.Fprintf(os.Stderr, "recorded %s\n", c.Name)
			if verbose {
				fmt.Fprint(os.Stderr, log)
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return fmt.Errorf("%d cases not recorded: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}

func record(c *conformance.Case, tool conformance.Tool, version string) (string, error) {
	base, err := os.MkdirTemp("", "conformance-record-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(base)
	p, err := conformance.NewPlay(c, tool, base)
	if err != nil {
		return "", err
	}
	exp := &conformance.Expected{Snakemake: version, Recorded: time.Now().UTC().Format("2006-01-02")}
	var log strings.Builder
	for i, s := range c.Steps {
		o, err := p.Step(context.Background(), i)
		if err != nil {
			return "", err
		}
		if o == nil {
			continue
		}
		if o.TimedOut {
			return "", fmt.Errorf("step %d (%s) timed out under snakemake", i+1, s)
		}
		fmt.Fprintf(&log, "  step %d %s: %s, jobs %v (%s)\n", o.Step, s, o.Result.Exit, o.Result.Jobs, o.Elapsed.Round(time.Millisecond))
		if o.Result.Exit == conformance.ExitFail {
			fmt.Fprintf(&log, "%s\n", conformance.Tail(o.Stderr, 6))
		}
		exp.Steps = append(exp.Steps, conformance.ExpectedStep{Step: o.Step, Run: s.Run, Result: o.Result})
	}
	return log.String(), exp.Write(c.Dir)
}

func load(root string, dirs []string) ([]*conformance.Case, error) {
	if len(dirs) == 0 {
		return conformance.LoadAll(root)
	}
	var cases []*conformance.Case
	for _, d := range dirs {
		c, err := conformance.Load(filepath.Clean(d))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func replay(bin, root string, parallel int, verbose bool, dirs []string) error {
	cases, err := load(root, dirs)
	if err != nil {
		return err
	}
	tool := conformance.Flowmake(bin)
	reports := make([]string, len(cases))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i] = replayCase(c, tool, verbose)
		}()
	}
	wg.Wait()
	failed := 0
	for i, r := range reports {
		if r == "" {
			fmt.Printf("PASS %s\n", cases[i].Name)
			continue
		}
		failed++
		fmt.Printf("FAIL %s\n%s\n", cases[i].Name, r)
	}
	fmt.Printf("%d of %d cases pass\n", len(cases)-failed, len(cases))
	return nil
}

func replayCase(c *conformance.Case, tool conformance.Tool, verbose bool) string {
	base, err := os.MkdirTemp("", "conformance-replay-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(base)
	p, err := conformance.NewPlay(c, tool, base)
	if err != nil {
		return err.Error()
	}
	for i := range c.Steps {
		o, err := p.Step(context.Background(), i)
		if err != nil {
			return err.Error()
		}
		if o == nil {
			continue
		}
		want, ov, err := c.Want(o.Step)
		if err != nil {
			return err.Error()
		}
		if diffs := conformance.Check(want, ov, o); len(diffs) > 0 || o.TimedOut {
			r := conformance.Report(c, o, tool, ov, diffs)
			if verbose {
				r += "  stdout tail:\n" + conformance.Tail(o.Stdout, 30) + "\n"
			}
			return r
		}
	}
	return ""
}
