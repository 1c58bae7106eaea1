package meta

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// fill writes n records shaped like a real workflow's in one transaction.
func fill(b *testing.B, s *Store, n int) []string {
	b.Helper()
	outs := make([]string, n)
	err := s.update(func(tx *bolt.Tx) error {
		for i := range outs {
			sample := fmt.Sprintf("sample%05d", i)
			outs[i] = "results/" + sample + "/counts.txt"
			rec := Record{
				Rule:       "count",
				Wildcards:  map[string]string{"sample": sample, "unit": "lane1"},
				CodeHash:   CodeHash("wc -l data/" + sample + ".txt > " + outs[i]),
				ParamsHash: CodeHash("{}"),
				Inputs:     []string{"data/" + sample + "/R1.fq.gz", "data/" + sample + "/R2.fq.gz", "ref/genome.fa"},
				Version:    "0.1.0",
			}
			if err := tx.Bucket(bucketRecords).Put([]byte(outs[i]), encodeRecord(&rec)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return outs
}

// BenchmarkLookup10k is a no-op run's view of the store: open it, look up
// every output of a 10,000-job workflow (record and incomplete mark), close.
func BenchmarkLookup10k(b *testing.B) {
	dir := filepath.Join(b.TempDir(), ".flowmake")
	s, err := Open(dir, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	outs := fill(b, s, 10000)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	lookup := func(b *testing.B, ro, oneTx bool) {
		for b.Loop() {
			s, err := Open(dir, OpenOptions{ReadOnly: ro})
			if err != nil {
				b.Fatal(err)
			}
			get := func(r *Reader, o string) {
				if inc, err := r.Incomplete(o); inc || err != nil {
					b.Fatal(inc, err)
				}
				if _, ok, err := r.Get(o); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
			if oneTx {
				err = s.View(func(r *Reader) error {
					for _, o := range outs {
						get(r, o)
					}
					return nil
				})
			} else {
				for _, o := range outs {
					if inc, err := s.Incomplete(o); inc || err != nil {
						b.Fatal(inc, err)
					}
					if _, ok, err := s.Get(o); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
			}
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	}
	b.Run("readonly/view", func(b *testing.B) { defer cpuTime(b)(); lookup(b, true, true) })
	b.Run("writable/view", func(b *testing.B) { defer cpuTime(b)(); lookup(b, false, true) })
	b.Run("readonly/store-get", func(b *testing.B) { defer cpuTime(b)(); lookup(b, true, false) })
}

// cpuTime reports the process's CPU time per op (user+system, all
// threads, so the GC's share is in): on a loaded machine wall time
// mostly measures the neighbours. Use as defer cpuTime(b)().
func cpuTime(b *testing.B) func() {
	var start unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &start)
	return func() {
		var end unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &end)
		ns := func(r unix.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
		if b.N > 0 {
			b.ReportMetric(float64(ns(end)-ns(start))/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}

// BenchmarkFinish measures a job's writes, from one goroutine or eight:
// Finish alone (deferred: the call, its commit comes with a later write),
// MarkIncomplete plus Finish (a commit a job), MarkAll for every 32 jobs
// plus Finish (as a run writes), and, for comparison, a commit a job
// through bbolt's Batch.
func BenchmarkFinish(b *testing.B) {
	rec := Record{Rule: "count", Wildcards: map[string]string{"sample": "a"}, CodeHash: CodeHash("x"), Inputs: []string{"a", "b"}}
	run := func(b *testing.B, workers int, job func(s *Store, out string) error) {
		s, err := Open(filepath.Join(b.TempDir(), ".flowmake"), OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if err := job(s, fmt.Sprint("out/", i)); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		i := 0
		for b.Loop() {
			next <- i
			i++
		}
		close(next)
		wg.Wait()
	}
	finish := func(s *Store, out string) error { return s.Finish([]string{out}, rec) }
	markFinish := func(s *Store, out string) error {
		if err := s.MarkIncomplete([]string{out}, out); err != nil {
			return err
		}
		return s.Finish([]string{out}, rec)
	}
	batchFinish := func(s *Store, out string) error {
		v := encodeRecord(&rec)
		return s.db.Batch(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketRecords).Put([]byte(out), v); err != nil {
				return err
			}
			return tx.Bucket(bucketIncomplete).Delete([]byte(out))
		})
	}
	// As a run of short jobs writes: one MarkAll for every 32 starts
	// (exec.PrepareAhead) and a deferred Finish per job.
	var mu sync.Mutex
	n := 0
	batched := func(s *Store, out string) error {
		mu.Lock()
		mark := n%32 == 0
		n++
		mu.Unlock()
		if mark {
			ms := make([]Marking, 32)
			for i := range ms {
				ms[i] = Marking{Outputs: []string{out + "/" + fmt.Sprint(i)}, JobKey: out}
			}
			if err := s.MarkAll(ms); err != nil {
				return err
			}
		}
		return s.Finish([]string{out}, rec)
	}
	for _, w := range []int{1, 8} {
		b.Run(fmt.Sprintf("markall32+finish/workers=%d", w), func(b *testing.B) { run(b, w, batched) })
		b.Run(fmt.Sprintf("finish/workers=%d", w), func(b *testing.B) { run(b, w, finish) })
		b.Run(fmt.Sprintf("mark+finish/workers=%d", w), func(b *testing.B) { run(b, w, markFinish) })
		b.Run(fmt.Sprintf("bbolt-batch-finish/workers=%d", w), func(b *testing.B) { run(b, w, batchFinish) })
	}
}
