package wildcard

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestGlobWildcards(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("x")}
	fsys := fstest.MapFS{
		"data/b.txt":       file,
		"data/a.txt":       file,
		"data/sub/c.txt":   file,
		"data/x.csv":       file,
		"data/dir.txt":     &fstest.MapFile{Mode: fs.ModeDir | 0o755},
		"data/link.txt":    &fstest.MapFile{Mode: fs.ModeSymlink, Data: []byte("nowhere")},
		"raw/B/1.fq":       file,
		"raw/A/2.fq":       file,
		"raw/A/1.fq":       file,
		"other/a.txt":      file,
		"weird/[x]1 é.txt": file,
		"weird/{y}2.txt":   file,
	}
	tests := []struct {
		pattern string
		want    map[string][]string
	}{
		{"data/{s}.txt", map[string][]string{"s": {"a", "b", "dir", "sub/c"}}},
		{"data/{s,[^/]+}.txt", map[string][]string{"s": {"a", "b", "dir"}}},
		{"data/{s,[a-z]}.txt", map[string][]string{"s": {"a", "b"}}},
		{"raw/{sample}/{read}.fq", map[string][]string{"sample": {"A", "A", "B"}, "read": {"1", "2", "1"}}},
		{"raw/{sample}/{sample}.fq", map[string][]string{"sample": {}}},
		{"{d,[a-z]+}/{s}.txt", map[string][]string{
			"d": {"data", "data", "data", "data", "other", "weird", "weird"},
			"s": {"a", "b", "dir", "sub/c", "a", "[x]1 é", "{y}2"},
		}},
		{"{path}.fq", map[string][]string{"path": {"raw/A/1", "raw/A/2", "raw/B/1"}}},
		{"weird/[x]{n}.txt", map[string][]string{"n": {"1 é"}}},
		{"weird/{{y}}{n}.txt", map[string][]string{"n": {"2"}}},
		{"nothing/{x}.txt", map[string][]string{"x": {}}},
		{"data/a.txt", map[string][]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := GlobWildcards(fsys, tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GlobWildcards(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
			for name, l := range got {
				if l == nil {
					t.Errorf("list of %s is nil, want empty", name)
				}
			}
		})
	}
	if _, err := GlobWildcards(fsys, "data/{s"); err == nil {
		t.Error("GlobWildcards of a bad pattern: no error")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"data/{s}.txt", "data/**"},
		{"data/{s,[^/]+}.txt", "data/*.txt"},
		{"{a}/{b}/x.txt", "**/x.txt"},
		{"{a,[a-z]+}_{b,[0-9]+}/{c}", "*_*/**"},
		{"p/[1]*{a,[a-z]}?.txt", `p/\[1\]\**\?.txt`},
		{"x/{a,(?i)[a-z/]}", "x/**"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.pattern, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.glob(); got != tt.want {
			t.Errorf("glob of %q = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

// TestGlobWildcardsSymlinks walks real trees with symbolic links: a loop
// ends, and each directory is seen once, under its real path when the walk
// reaches it both ways.
func TestGlobWildcardsSymlinks(t *testing.T) {
	chain := func(dir string) { // d0..d16, each holding two links to the next
		for i := 0; i < 16; i++ {
			d := filepath.Join(dir, fmt.Sprintf("d%d", i))
			mkdir(t, d)
			next := fmt.Sprintf("../d%d", i+1)
			symlink(t, next, filepath.Join(d, "l1"))
			symlink(t, next, filepath.Join(d, "l2"))
		}
		write(t, filepath.Join(dir, "d16", "end.txt"))
	}
	tests := []struct {
		name    string
		setup   func(dir string)
		pattern string
		want    map[string][]string
	}{
		{"self loop", func(dir string) {
			write(t, filepath.Join(dir, "data", "a.txt"))
			symlink(t, ".", filepath.Join(dir, "data", "loop"))
		}, "data/{s}.txt", map[string][]string{"s": {"a"}}},
		{"self loop lists the link", func(dir string) {
			write(t, filepath.Join(dir, "data", "a.txt"))
			symlink(t, ".", filepath.Join(dir, "data", "loop"))
		}, "data/{s}", map[string][]string{"s": {"a.txt", "loop"}}},
		{"loop to the root", func(dir string) {
			write(t, filepath.Join(dir, "data", "a.txt"))
			symlink(t, "..", filepath.Join(dir, "data", "up"))
		}, "{p}.txt", map[string][]string{"p": {"data/a"}}},
		{"mutual loop", func(dir string) {
			write(t, filepath.Join(dir, "data", "a", "x.txt"))
			write(t, filepath.Join(dir, "data", "b", "y.txt"))
			symlink(t, "../b", filepath.Join(dir, "data", "a", "tob"))
			symlink(t, "../a", filepath.Join(dir, "data", "b", "toa"))
		}, "data/{p}.txt", map[string][]string{"p": {"a/x", "b/y"}}},
		{"linked directory outside the start", func(dir string) {
			write(t, filepath.Join(dir, "ext", "s1.txt"))
			mkdir(t, filepath.Join(dir, "data"))
			symlink(t, "../ext", filepath.Join(dir, "data", "link"))
		}, "data/{p}.txt", map[string][]string{"p": {"link/s1"}}},
		{"linked directory seen once, as the real one", func(dir string) {
			write(t, filepath.Join(dir, "ext", "s1.txt"))
			mkdir(t, filepath.Join(dir, "a"))
			symlink(t, "../ext", filepath.Join(dir, "a", "link"))
		}, "{p}.txt", map[string][]string{"p": {"ext/s1"}}},
		{"linked directory under a one-level glob", func(dir string) {
			write(t, filepath.Join(dir, "ext", "s1.txt"))
			write(t, filepath.Join(dir, "data", "r", "s2.txt"))
			symlink(t, "../ext", filepath.Join(dir, "data", "link"))
		}, "data/{d,[^/]+}/{s,[^/]+}.txt", map[string][]string{"d": {"link", "r"}, "s": {"s1", "s2"}}},
		{"linked start directory", func(dir string) {
			write(t, filepath.Join(dir, "ext", "s1.txt"))
			symlink(t, "ext", filepath.Join(dir, "data"))
		}, "data/{s}.txt", map[string][]string{"s": {"s1"}}},
		{"dangling link", func(dir string) {
			write(t, filepath.Join(dir, "data", "a.txt"))
			symlink(t, "nowhere", filepath.Join(dir, "data", "b.txt"))
		}, "data/{s}.txt", map[string][]string{"s": {"a"}}},
		{"linked file", func(dir string) {
			write(t, filepath.Join(dir, "data", "a.txt"))
			symlink(t, "a.txt", filepath.Join(dir, "data", "b.txt"))
		}, "data/{s}.txt", map[string][]string{"s": {"a", "b"}}},
		// Without the once-per-directory rule this is 2^16 walks of d16.
		{"diamond of links", chain, "{p}.txt", map[string][]string{"p": {"d16/end"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			type res struct {
				got map[string][]string
				err error
			}
			done := make(chan res, 1)
			go func() {
				got, err := GlobWildcards(os.DirFS(dir), tt.pattern)
				done <- res{got, err}
			}()
			select {
			case r := <-done:
				if r.err != nil {
					t.Fatal(r.err)
				}
				if !reflect.DeepEqual(r.got, tt.want) {
					t.Errorf("GlobWildcards(%q) = %s, want %q", tt.pattern, brief(r.got), tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("GlobWildcards(%q) did not end", tt.pattern)
			}
		})
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, file string) {
	t.Helper()
	mkdir(t, filepath.Dir(file))
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// brief shows a result, cut short when a broken walk found thousands.
func brief(m map[string][]string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(m)) {
		l := m[name]
		if len(l) > 5 {
			fmt.Fprintf(&b, "%s: %d values %q...; ", name, len(l), l[:5])
			continue
		}
		fmt.Fprintf(&b, "%s: %q; ", name, l)
	}
	return b.String()
}
