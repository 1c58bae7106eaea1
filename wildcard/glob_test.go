package wildcard

import (
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
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
