package dag

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// osStat.mtime agrees with os.Stat on files, directories, symlinks and
// missing names, relative to the working directory given.
func TestOSStatMtime(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, at time.Time) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", time.Unix(1_700_000_000, 123456789))
	write("sub/b.txt", time.Unix(1, 0))
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	st := OSStat(dir).(osStat)
	for _, name := range []string{"a.txt", "sub/b.txt", "sub", "link", "dangling", "missing", "sub/missing/x", "a.txt/x", "nul\x00byte", ""} {
		want := int64(absent)
		if fi, err := st.Stat(name); err == nil {
			want = unixNano(fi.ModTime())
		}
		got, ok := st.mtime(name)
		if !ok {
			t.Errorf("mtime(%q) left the file to os.Stat", name)
		}
		if got != want {
			t.Errorf("mtime(%q) = %d, os.Stat says %d", name, got, want)
		}
		if got := statTime(st, name); got != want {
			t.Errorf("statTime(%q) = %d, os.Stat says %d", name, got, want)
		}
	}
}
