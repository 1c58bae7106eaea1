package main

import (
	"errors"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowExpr takes flowmake more than ten seconds to evaluate (four
// million iterations of HCL), so a signal sent half a second in finds it
// still busy in the phase that evaluates it.
const slowExpr = `length([for i in range(2000) : [for j in range(2000) : j if j < 0]])`

// A signal stops flowmake in every phase within about a second: loading
// (the config block), resolution (a job's params), and the run (a job),
// with exit 130 and nothing left that looks up to date.
func TestSignalStopsEveryPhase(t *testing.T) {
	cases := []struct {
		phase, rulefile string
		sig             syscall.Signal
		ready           string // a file whose existence means the phase has begun; "" for half a second
	}{
		{"loading", `
config { n = ` + slowExpr + ` }
rule "all" {
  output = ["x.txt"]
  shell  = "echo ${config.n} > x.txt"
}
`, syscall.SIGTERM, ""},
		{"resolution", `
rule "all" { input = ["x.txt"] }
rule "x" {
  output = ["x.txt"]
  params = { n = ` + slowExpr + ` }
  shell  = "echo ${params.n} > x.txt"
}
`, syscall.SIGINT, ""},
		{"run", `
rule "all" {
  output = ["x.txt"]
  shell  = "echo partial > x.txt; touch started; sleep 30; echo done >> x.txt"
}
`, syscall.SIGTERM, "started"},
	}
	for _, c := range cases {
		t.Run(c.phase, func(t *testing.T) {
			t.Parallel()
			dir := workspace(t, map[string]string{"Rulefile": c.rulefile})
			// A grace period longer than the wait below: a job that ends on
			// SIGTERM must not make flowmake wait it out.
			cmd, errb := startFlowmake(t, dir, "-j1", "--grace", "10")
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			if c.ready == "" {
				time.Sleep(500 * time.Millisecond)
			} else {
				for deadline := time.Now().Add(20 * time.Second); !exists(filepath.Join(dir, c.ready)); time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatalf("the job did not start:\n%s", errb.String())
					}
				}
			}
			select {
			case err := <-exited:
				t.Fatalf("flowmake ended before the signal (%v); the phase must be slower:\n%s", err, errb.String())
			default:
			}
			sent := time.Now()
			cmd.Process.Signal(c.sig)
			var err error
			// A second is the promise; the margin is for -race on a busy machine.
			select {
			case err = <-exited:
			case <-time.After(4 * time.Second):
				cmd.Process.Kill()
				<-exited
				t.Fatalf("still running 4 s after %v in %s:\n%s", c.sig, c.phase, errb.String())
			}
			took := time.Since(sent)
			var ee *osexec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
				t.Fatalf("after %v: %v, want exit 130\n%s", c.sig, err, errb.String())
			}
			if !strings.Contains(errb.String(), "flowmake: interrupted") {
				t.Errorf("stderr does not say interrupted:\n%s", errb.String())
			}
			if exists(filepath.Join(dir, "x.txt")) {
				t.Errorf("x.txt left behind by an interrupted %s", c.phase)
			}
			t.Logf("%s: stopped %v after %v", c.phase, took.Round(time.Millisecond), c.sig)
		})
	}
}
