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
	names := []string{"a.txt", "sub/b.txt", "sub", "link", "dangling", "missing", "sub/missing/x", "a.txt/x", "nul\x00byte", "", "./a.txt", "sub/../a.txt", "sub//b.txt"}
	names = append(names, "..", "../"+filepath.Base(dir)+"/a.txt", filepath.Join(dir, "sub/b.txt"))
	checkStat(t, OSStat(dir).(osStat), names)
	checkStat(t, OSStat(dir+"/").(osStat), names)       // not clean: joined
	checkStat(t, OSStat(dir+"/sub/..").(osStat), names) // likewise
	// The working directory itself, "" or ".": paths are not joined
	// (osPath), and an absolute name stays as it is.
	t.Chdir(dir)
	checkStat(t, OSStat("").(osStat), names)
	checkStat(t, OSStat(".").(osStat), append(names, filepath.Join(dir, "a.txt"), filepath.Join(dir, "missing")))
}

// checkStat compares mtime, mtimeBuf (one buffer for all names) and
// statTime with os.Stat.
func checkStat(t *testing.T, st osStat, names []string) {
	t.Helper()
	var buf []byte
	for _, name := range names {
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
		if got, ok := st.mtimeBuf(name, &buf); !ok || got != want {
			t.Errorf("mtimeBuf(%q) = %d, %v; os.Stat says %d", name, got, ok, want)
		}
	}
}

// joined promises d.dir.Path(name) == prefix+name; it must keep that
// promise for every directory and name.
func TestOSStatJoined(t *testing.T) {
	dirs := []string{"", ".", "/", "/abs/dir", "/abs/dir/", "rel", "rel/../x", "..", "../up", "/abs/./dir"}
	names := []string{"", ".", "..", "a", "a/b.txt", "./a", "a/../b", "a//b", "../a", "..a/b", "/abs/x", "a/", "a/b/..", "...", "a/..b"}
	promised := 0
	for _, dir := range dirs {
		d := OSStat(dir).(osStat)
		for _, name := range names {
			if !d.joined(name) {
				continue
			}
			promised++
			if got, want := d.prefix+name, d.dir.Path(name); got != want {
				t.Errorf("OSStat(%q): joined(%q) builds %q, Path says %q", dir, name, got, want)
			}
		}
	}
	if promised < 20 {
		t.Errorf("joined took only %d of the pairs: the fast path is not used", promised)
	}
}
