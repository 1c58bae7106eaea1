package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// signals turns SIGINT and SIGTERM into flowmake's two ways of stopping.
//
// Until jobs may run (loading, globbing, resolution, a dry run, the
// graph modes), flowmake has nothing to clean up: the lock is an flock
// the kernel drops and the metadata store commits nothing half way. So
// the first signal exits at once with 130, however long the phase's loop
// is. Once armed, the run is under way: the first signal cancels ctx,
// which stops starting jobs and sends the running ones SIGTERM and the
// grace period; the second closes kill, which sends SIGKILL.
type signals struct {
	ctx   context.Context
	kill  <-chan struct{}
	armed atomic.Bool
	stop  func()
}

// notifySignals starts listening; stop undoes it.
func notifySignals(stderr io.Writer) *signals {
	ctx, cancel := context.WithCancel(context.Background())
	kill := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	s := &signals{ctx: ctx, kill: kill}
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				n++
				switch {
				case !s.armed.Load():
					fmt.Fprintln(stderr, "flowmake: interrupted")
					os.Exit(exitInterrupted)
				case n == 1:
					cancel()
				case n == 2:
					close(kill)
				}
			case <-done:
				return
			}
		}
	}()
	s.stop = func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
	return s
}

// arm hands the following signals to the run: call it just before the
// first job may start.
func (s *signals) arm() { s.armed.Store(true) }
