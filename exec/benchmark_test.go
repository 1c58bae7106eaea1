package exec

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLocalWritesBenchmark(t *testing.T) {
	dir := t.TempDir()
	// Allocate ~50 MB in a child and burn a little CPU, so the figures
	// are visibly above zero.
	spec := Spec{
		Command:   `python3 -c 'b = bytearray(50 * 1024 * 1024); s = sum(range(2000000))'; echo done > out.txt`,
		Dir:       dir,
		Outputs:   []string{"out.txt"},
		Benchmark: "bench/job.tsv",
	}
	r := Local{}.Run(context.Background(), spec)
	if !r.OK() {
		t.Fatalf("%+v", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench", "job.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "s\th:m:s\tmax_rss\tcpu_time" {
		t.Fatalf("benchmark file:\n%s", data)
	}
	f := strings.Split(lines[1], "\t")
	if len(f) != 4 {
		t.Fatalf("row %q", lines[1])
	}
	wall, _ := strconv.ParseFloat(f[0], 64)
	rss, _ := strconv.ParseFloat(f[2], 64)
	cpu, _ := strconv.ParseFloat(f[3], 64)
	if wall <= 0 || rss < 40 || cpu <= 0 || !strings.HasPrefix(f[1], "0:00:") {
		t.Errorf("implausible figures: wall %v s, rss %v MB, cpu %v s (%q)", wall, rss, cpu, lines[1])
	}
	// The result carries the same rusage, for the run history.
	if u := r.Usage; u.MaxRSS < 40<<20 || u.UserCPU <= 0 || u.UserCPU+u.SysCPU > r.End.Sub(r.Start)+time.Second {
		t.Errorf("implausible usage %+v for a %v job", u, r.End.Sub(r.Start))
	}
	if host, _ := os.Hostname(); r.Host != host || r.Executor != "local" {
		t.Errorf("ran on %q by %q, want %q by local", r.Host, r.Executor, host)
	}

	// A failed job writes no benchmark.
	spec.Command, spec.Benchmark = "exit 4", "bench/failed.tsv"
	if r := (Local{}).Run(context.Background(), spec); r.ExitCode != 4 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "bench", "failed.tsv")); err == nil {
		t.Error("a failed job wrote a benchmark file")
	}
}
