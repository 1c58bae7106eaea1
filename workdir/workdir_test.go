package workdir

import "testing"

func TestPath(t *testing.T) {
	for _, c := range []struct {
		dir  Dir
		p    string
		want string
	}{
		{"", "a.txt", "a.txt"},
		{"", "./out//a.txt", "out/a.txt"},
		{"", "/abs/x", "/abs/x"},
		{"", "../data/raw.fq", "../data/raw.fq"},
		{"/w", "a.txt", "/w/a.txt"},
		{"/w", "out/sub/", "/w/out/sub"},
		{"/w", "../data/raw.fq", "/data/raw.fq"},
		{"/w", "/abs/x", "/abs/x"},
		{"/w", ".", "/w"},
		{"rel/dir", "a", "rel/dir/a"},
	} {
		if got := c.dir.Path(c.p); got != c.want {
			t.Errorf("Dir(%q).Path(%q) = %q, want %q", c.dir, c.p, got, c.want)
		}
	}
}

func TestOS(t *testing.T) {
	for _, c := range []struct {
		dir  Dir
		want string
	}{
		{"", "."},
		{"/w", "/w"},
		{"/w/", "/w"},
		{"rel", "rel"},
	} {
		if got := c.dir.OS(); got != c.want {
			t.Errorf("Dir(%q).OS() = %q, want %q", c.dir, got, c.want)
		}
	}
}
