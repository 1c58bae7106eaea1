package meta

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

func metaDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), ".flowmake")
}

func openStore(t testing.TB, dir string, opts OpenOptions) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleRecord() Record {
	return Record{
		Rule:        "count",
		Wildcards:   map[string]string{"sample": "a", "unit": "ü 1"},
		CodeHash:    CodeHash("wc -l data/a.txt > counts/a.txt"),
		ParamsHash:  "0123456789abcdef",
		Inputs:      []string{"data/a.txt", "ref.fa"},
		InputHashes: map[string]FileHash{"data/a.txt": {Size: 12, ModTime: time.Unix(1700000000, 123456789), Sum: "00000000deadbeef"}},
		Start:       time.Unix(1700000100, 1),
		End:         time.Unix(1700000200, 2),
		ExitStatus:  0,
		Version:     "0.1.0",
	}
}

// sameRecord compares records with times by instant.
func sameRecord(a, b Record) bool {
	norm := func(r Record) Record {
		r.Start, r.End = r.Start.UTC(), r.End.UTC()
		if r.InputHashes != nil {
			m := make(map[string]FileHash, len(r.InputHashes))
			for k, h := range r.InputHashes {
				h.ModTime = h.ModTime.UTC()
				m[k] = h
			}
			r.InputHashes = m
		}
		return r
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestOpenCreatesStore(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{Version: "0.1.0"})
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o755 {
		t.Fatalf("dir: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBName)); err != nil {
		t.Fatal(err)
	}
	var format, writer string
	if err := s.view(func(tx *bolt.Tx) error {
		format = string(tx.Bucket(bucketMeta).Get(keyFormat))
		writer = string(tx.Bucket(bucketMeta).Get(keyWriter))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if format != "1" || writer != "0.1.0" {
		t.Errorf("format %q writer %q", format, writer)
	}
	if _, ok, err := s.Get("x"); ok || err != nil {
		t.Errorf("Get on empty store: %v %v", ok, err)
	}
}

func TestReadOnlyWithoutDatabase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string)
	}{
		{"no directory", func(string) {}},
		{"empty file", func(dir string) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, DBName), nil, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := metaDir(t)
			tc.setup(dir)
			s := openStore(t, dir, OpenOptions{ReadOnly: true})
			if _, ok, err := s.Get("a"); ok || err != nil {
				t.Errorf("Get: %v %v", ok, err)
			}
			if inc, err := s.Incomplete("a"); inc || err != nil {
				t.Errorf("Incomplete: %v %v", inc, err)
			}
			if all, err := s.All(); len(all) != 0 || err != nil {
				t.Errorf("All: %v %v", all, err)
			}
			for name, err := range map[string]error{
				"MarkIncomplete": s.MarkIncomplete([]string{"a"}, "k"),
				"Finish":         s.Finish([]string{"a"}, Record{}),
				"Fail":           s.Fail([]string{"a"}),
			} {
				if !errors.Is(err, ErrReadOnly) {
					t.Errorf("%s: %v, want ErrReadOnly", name, err)
				}
			}
			if tc.name == "no directory" {
				if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("read-only Open created %s: %v", dir, err)
				}
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	for _, tc := range []struct {
		name    string
		outputs []string
		rec     Record
	}{
		{"full", []string{"counts/a.txt", "counts/a.log"}, sampleRecord()},
		{"zero", []string{"z"}, Record{}},
		{"failed exit kept", []string{"neg"}, Record{Rule: "r", ExitStatus: -1, Inputs: []string{""}}},
		{"odd names", []string{"dir with space/$(rm -rf ~)", "ünï/çødé"}, Record{Rule: "x", Wildcards: map[string]string{"": ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Finish(tc.outputs, tc.rec); err != nil {
				t.Fatal(err)
			}
			for _, o := range tc.outputs {
				got, ok, err := s.Get(o)
				if err != nil || !ok {
					t.Fatalf("Get(%q): %v %v", o, ok, err)
				}
				if !sameRecord(got, tc.rec) {
					t.Errorf("Get(%q) =\n%#v\nwant\n%#v", o, got, tc.rec)
				}
			}
		})
	}
}

func TestPathsAreCleaned(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	if err := s.Finish([]string{"a//b/./c"}, Record{Rule: "r"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get("a/b/c"); !ok {
		t.Error("record stored under an uncleaned path")
	}
}

func TestIncompleteLifecycle(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{})
	outs := []string{"o/1", "o/2"}
	steps := []struct {
		name       string
		do         func() error
		incomplete bool
		record     bool
	}{
		{"start", func() error { return s.MarkIncomplete(outs, "r (x=1)") }, true, false},
		{"finish", func() error { return s.Finish(outs, Record{Rule: "r"}) }, false, true},
		{"rerun", func() error { return s.MarkIncomplete(outs, "r (x=1)") }, true, true},
		{"fail", func() error { return s.Fail(outs) }, false, false},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for _, o := range outs {
			inc, err := s.Incomplete(o)
			if err != nil || inc != st.incomplete {
				t.Errorf("after %s: Incomplete(%s) = %v, %v", st.name, o, inc, err)
			}
			_, ok, err := s.Get(o)
			if err != nil || ok != st.record {
				t.Errorf("after %s: Get(%s) found %v, %v", st.name, o, ok, err)
			}
		}
	}
}

func TestMarksSurviveReopen(t *testing.T) {
	dir := metaDir(t)
	s, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := s.MarkIncomplete([]string{"b", "a"}, "job-key"); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish([]string{"done"}, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, OpenOptions{ReadOnly: true})
	marks, err := s.Marks()
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || marks[0].Output != "a" || marks[1].Output != "b" {
		t.Fatalf("marks %+v", marks)
	}
	for _, m := range marks {
		if m.JobKey != "job-key" || m.Since.Before(before.Add(-time.Second)) {
			t.Errorf("mark %+v", m)
		}
	}
	all, err := s.All()
	if err != nil || !reflect.DeepEqual(all, []string{"done"}) {
		t.Errorf("All = %v, %v", all, err)
	}
	rec, ok, err := s.Get("done")
	if !ok || err != nil || !sameRecord(rec, sampleRecord()) {
		t.Errorf("Get after reopen: %v %v %+v", ok, err, rec)
	}
}

func TestForget(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{})
	must(t, s.Finish([]string{"rec"}, Record{Rule: "r"}))
	must(t, s.MarkIncomplete([]string{"mark"}, "k"))
	must(t, s.Finish([]string{"both"}, Record{Rule: "r"}))
	must(t, s.MarkIncomplete([]string{"both"}, "k"))
	n, err := s.Forget([]string{"rec", "mark", "both", "never"})
	if err != nil || n != 3 {
		t.Fatalf("Forget = %d, %v; want 3", n, err)
	}
	for _, p := range []string{"rec", "mark", "both"} {
		if _, ok, _ := s.Get(p); ok {
			t.Errorf("record of %s left", p)
		}
		if inc, _ := s.Incomplete(p); inc {
			t.Errorf("mark of %s left", p)
		}
	}
	if n, err := s.Forget([]string{"rec"}); n != 0 || err != nil {
		t.Errorf("second Forget = %d, %v", n, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWrites(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := fmt.Sprintf("out/%d", i)
			errs <- s.MarkIncomplete([]string{out}, out)
			errs <- s.Finish([]string{out}, Record{Rule: "r", Wildcards: map[string]string{"i": fmt.Sprint(i)}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	err := s.View(func(r *Reader) error {
		for i := range n {
			out := fmt.Sprintf("out/%d", i)
			rec, ok, err := r.Get(out)
			if err != nil || !ok || rec.Wildcards["i"] != fmt.Sprint(i) {
				t.Errorf("%s: %v %v %+v", out, ok, err, rec)
			}
			if inc, _ := r.Incomplete(out); inc {
				t.Errorf("%s still incomplete", out)
			}
		}
		return nil
	})
	must(t, err)
}

// A write that fails (bbolt refuses keys over 32 KiB) must fail alone, not
// take the writes committed with it down.
func TestGroupCommitIsolatesFailure(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	long := strings.Repeat("x", 40000) // longer than bbolt's keys may be
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := fmt.Sprint("ok/", i)
			if i%4 == 0 {
				out = long
			}
			// Marks are committed before they return, each with its own
			// error; records are deferred, and Sync reports the failure.
			errs[i] = s.MarkIncomplete([]string{out}, "job")
			if err := s.Finish([]string{out}, Record{Rule: "r"}); err != nil {
				t.Errorf("Finish %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != (err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	err := s.Sync()
	if !errors.Is(err, berrors.ErrKeyTooLarge) || !strings.HasPrefix(err.Error(), "record xxx") {
		t.Errorf("Sync = %.60v, want the failed record's error", err)
	}
	for i := range errs {
		if i%4 != 0 {
			out := fmt.Sprint("ok/", i)
			if _, ok, _ := s.Get(out); !ok {
				t.Errorf("write %d lost", i)
			}
			if inc, _ := s.Incomplete(out); inc {
				t.Errorf("write %d: mark not cleared", i)
			}
		}
	}
}

func TestCorruptFile(t *testing.T) {
	garbage := bytes.Repeat([]byte("this is not a bbolt database\n"), 1000)
	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("readonly=%v", ro), func(t *testing.T) {
			dir := metaDir(t)
			must(t, os.MkdirAll(dir, 0o755))
			path := filepath.Join(dir, DBName)
			must(t, os.WriteFile(path, garbage, 0o644))
			s, err := Open(dir, OpenOptions{ReadOnly: ro})
			if err == nil {
				s.Close()
				t.Fatal("Open of garbage succeeded")
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("error %T %v, want *CorruptError for %s", err, err, path)
			}
			for _, want := range []string{path, "remove " + path, "timestamps"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
				t.Error("Open changed the damaged file")
			}
		})
	}
}

// Damaged pages behind valid meta pages: bbolt panics or faults on them;
// the store must turn that into a *CorruptError wherever it surfaces, and
// must not keep the file locked after a failed Open.
func TestCorruptPages(t *testing.T) {
	dir := metaDir(t)
	s, err := Open(dir, OpenOptions{})
	must(t, err)
	outs := make([]string, 300)
	for i := range outs {
		outs[i] = fmt.Sprintf("results/sample%04d/out.txt", i)
	}
	must(t, s.Finish(outs, sampleRecord()))
	must(t, s.Close())
	path := filepath.Join(dir, DBName)
	pristine, err := os.ReadFile(path)
	must(t, err)
	page := os.Getpagesize()
	pages := len(pristine) / page

	type damage struct {
		name     string
		from, to int // page range to overwrite
		fill     func(i int) byte
		mustFail bool
	}
	var cases []damage
	for _, f := range []byte{0x00, 0xff, 0x5a} {
		cases = append(cases, damage{fmt.Sprintf("all data pages %#x", f), 2, pages, func(int) byte { return f }, true})
	}
	for p := 2; p < pages; p++ {
		// A page of pseudo-random bytes: page ids, counts and offsets
		// point anywhere, past the end of the map included.
		cases = append(cases, damage{fmt.Sprintf("page %d", p), p, p + 1, func(i int) byte { return byte(i*7919 + p*31) }, false})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte(nil), pristine...)
			for i := tc.from * page; i < tc.to*page && i < len(b); i++ {
				b[i] = tc.fill(i)
			}
			must(t, os.WriteFile(path, b, 0o644))
			for _, ro := range []bool{true, false} {
				err := func() (err error) {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("panic escaped (readonly=%v): %v", ro, p)
						}
					}()
					s, err := Open(dir, OpenOptions{ReadOnly: ro, Timeout: 100 * time.Millisecond})
					if err != nil {
						return err
					}
					defer s.Close()
					if _, _, err := s.Get(outs[7]); err != nil {
						return err
					}
					if _, err := s.All(); err != nil {
						return err
					}
					if ro {
						return nil
					}
					return s.Finish([]string{"new"}, Record{})
				}()
				var ce *CorruptError
				if err != nil && !errors.As(err, &ce) {
					t.Errorf("readonly=%v: error %T %v, want *CorruptError", ro, err, err)
				}
				if ce != nil && ce.Output != "" {
					t.Errorf("readonly=%v: damaged page blamed on one record: %v", ro, err)
				}
				if tc.mustFail && err == nil {
					t.Errorf("readonly=%v: damage went unnoticed", ro)
				}
			}
		})
	}
}

func TestCorruptRecord(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	good := encodeRecord(&Record{Rule: "r", Inputs: []string{"a", "b"}})
	for _, tc := range []struct {
		name string
		val  []byte
	}{
		{"truncated", good[:len(good)-3]},
		{"stray bytes", append(append([]byte(nil), good...), 1, 2)},
		{"unknown tag", append([]byte{0x7f}, good[1:]...)},
		{"huge count", []byte{valueTag, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := "bad/" + tc.name
			must(t, s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRecords).Put([]byte(out), tc.val) }))
			_, ok, err := s.Get(out)
			var ce *CorruptError
			if ok || !errors.As(err, &ce) || ce.Output != out {
				t.Fatalf("Get = %v, %T %v", ok, err, err)
			}
			if !strings.Contains(err.Error(), "flowmake --cleanup-metadata "+out) {
				t.Errorf("error %q lacks the cleanup hint", err)
			}
			if n, err := s.Forget([]string{out}); n != 1 || err != nil {
				t.Errorf("Forget = %d, %v", n, err)
			}
		})
	}
}

func TestNewerFormat(t *testing.T) {
	dir := metaDir(t)
	s, err := Open(dir, OpenOptions{Version: "9.0"})
	must(t, err)
	must(t, s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyFormat, []byte("2")) }))
	must(t, s.Close())
	path := filepath.Join(dir, DBName)
	before, _ := os.ReadFile(path)
	for _, ro := range []bool{false, true} {
		_, err := Open(dir, OpenOptions{ReadOnly: ro})
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Found != 2 || ve.Supported != Format || ve.Writer != "9.0" {
			t.Fatalf("readonly=%v: %T %v", ro, err, err)
		}
		for _, want := range []string{path, "newer", "format 2", "flowmake 9.0", "remove " + path} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("Open wrote to a store of a newer format")
	}
}

func TestForeignDatabase(t *testing.T) {
	dir := metaDir(t)
	must(t, os.MkdirAll(dir, 0o755))
	db, err := bolt.Open(filepath.Join(dir, DBName), 0o644, nil)
	must(t, err)
	must(t, db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err }))
	must(t, db.Close())
	_, err = Open(dir, OpenOptions{})
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not a flowmake metadata store") {
		t.Fatalf("%T %v", err, err)
	}
}

func TestUnopenable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root string) string // returns the dir to open
		want  []string
	}{
		{"flowmake dir is a file", func(t *testing.T, root string) string {
			dir := filepath.Join(root, ".flowmake")
			must(t, os.WriteFile(dir, []byte("x"), 0o644))
			return dir
		}, []string{".flowmake is not a directory; remove or rename it"}},
		{"meta.db is a directory", func(t *testing.T, root string) string {
			dir := filepath.Join(root, ".flowmake")
			must(t, os.MkdirAll(filepath.Join(dir, DBName), 0o755))
			return dir
		}, []string{DBName, "is a directory", "remove"}},
	} {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/readonly=%v", tc.name, ro), func(t *testing.T) {
				dir := tc.setup(t, t.TempDir())
				s, err := Open(dir, OpenOptions{ReadOnly: ro})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
			})
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := metaDir(t)
	s, err := Open(dir, OpenOptions{})
	must(t, err)
	must(t, s.Close())
	path := filepath.Join(dir, DBName)
	must(t, os.Chmod(path, 0))
	defer os.Chmod(path, 0o644)
	_, err = Open(dir, OpenOptions{ReadOnly: true})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "check its permissions, or remove "+path) {
		t.Fatalf("%v", err)
	}
}

func TestBusy(t *testing.T) {
	dir := metaDir(t)
	lock, err := Lock(dir)
	must(t, err)
	defer lock.Release()
	openStore(t, dir, OpenOptions{})
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(dir, OpenOptions{ReadOnly: ro, Timeout: 150 * time.Millisecond})
		var be *BusyError
		if !errors.As(err, &be) || be.Pid != os.Getpid() {
			t.Fatalf("readonly=%v: %T %v", ro, err, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Open waited %v", d)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("in use by flowmake pid %d", os.Getpid())) {
			t.Errorf("message %q", err)
		}
	}
}

// Lookups share a read transaction; writes must end it first (a commit
// that grows the file remaps it, which waits for open reads) and later
// lookups must see what was written.
func TestReadsDuringWrites(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	big := Record{Rule: "r", Inputs: []string{strings.Repeat("i", 8000)}} // grows the file quickly
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, _, err := s.Get("w/0"); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for i := range 200 {
			out := fmt.Sprint("w/", i)
			if err := s.Finish([]string{out}, big); err != nil {
				t.Error(err)
				break
			}
			if _, ok, err := s.Get(out); !ok || err != nil {
				t.Errorf("Get right after Finish(%s): %v %v", out, ok, err)
				break
			}
		}
		close(stop)
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("reads and writes deadlocked")
	}
}

func TestClose(t *testing.T) {
	s, err := Open(metaDir(t), OpenOptions{})
	must(t, err)
	if _, _, err := s.Get("a"); err != nil { // opens the shared read
		t.Fatal(err)
	}
	must(t, s.Close())
	must(t, s.Close())
	if err := s.Finish([]string{"a"}, Record{}); err == nil {
		t.Error("Finish after Close succeeded")
	}
	if _, _, err := s.Get("a"); err == nil {
		t.Error("Get after Close succeeded")
	}
}

func TestEmptyStoreKnowsNothing(t *testing.T) {
	s := Empty()
	defer s.Close()
	if _, ok, err := s.Get("a.txt"); ok || err != nil {
		t.Errorf("Get on Empty: ok=%v err=%v", ok, err)
	}
	if inc, err := s.Incomplete("a.txt"); inc || err != nil {
		t.Errorf("Incomplete on Empty: %v %v", inc, err)
	}
	if err := s.Finish([]string{"a.txt"}, Record{}); err == nil {
		t.Error("Empty must refuse writes")
	}
}

// Lookups in one snapshot share a cursor per bucket: any order, missing
// keys before, between and after the entries, and a nested bucket (not a
// record) must give what a fresh lookup gives.
func TestReaderLookupOrder(t *testing.T) {
	s := openStore(t, metaDir(t), OpenOptions{})
	for _, o := range []string{"b/1", "b/3", "d"} {
		r := sampleRecord()
		r.Rule = o
		must(t, s.Finish([]string{o}, r))
	}
	must(t, s.update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketRecords).CreateBucket([]byte("c"))
		return err
	}))
	must(t, s.MarkIncomplete([]string{"b/3", "e"}, "job"))
	want := map[string]bool{"b/1": true, "b/3": true, "d": true}
	marked := map[string]bool{"b/3": true, "e": true}
	for _, order := range [][]string{
		{"d", "b/1", "b/3", "a", "b/2", "c", "e", "b/1", "./d", "b//3"},
		{"e", "c", "a", "b/2", "d", "b/3"},
	} {
		for _, o := range order {
			rec, ok, err := s.Get(o)
			if err != nil || ok != want[key(o)] || ok && rec.Rule != key(o) {
				t.Errorf("Get(%q) = %q, %v, %v", o, rec.Rule, ok, err)
			}
			var code string
			err = s.shared(func(r *Reader) error {
				ok, err = r.view(o, func(v recordView) { code = string(v.codeHash) })
				return err
			})
			if err != nil || ok != want[key(o)] || ok && code != sampleRecord().CodeHash {
				t.Errorf("view(%q) = %q, %v, %v", o, code, ok, err)
			}
			if inc, err := s.Incomplete(o); err != nil || inc != marked[key(o)] {
				t.Errorf("Incomplete(%q) = %v, %v", o, inc, err)
			}
		}
	}
}

// Unmark takes back only what MarkAll marked afresh: a mark an earlier
// run left stays, and so does the state of a job that ended.
func TestMarkAllUnmark(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{})
	must(t, s.MarkIncomplete([]string{"old.txt"}, "earlier run"))
	must(t, s.MarkAll([]Marking{
		{Outputs: []string{"old.txt", "a.txt"}, JobKey: "a"},
		{Outputs: []string{"./b.txt"}, JobKey: "b"},
		{Outputs: []string{"c.txt"}, JobKey: "c"},
	}))
	for _, o := range []string{"old.txt", "a.txt", "b.txt", "c.txt"} {
		if inc, err := s.Incomplete(o); !inc || err != nil {
			t.Fatalf("%s not marked: %v", o, err)
		}
	}
	must(t, s.Finish([]string{"c.txt"}, Record{Rule: "c"})) // c ran
	must(t, s.Unmark([]string{"old.txt", "a.txt", "b.txt", "c.txt"}))
	must(t, s.Close())
	s = openStore(t, dir, OpenOptions{ReadOnly: true})
	for o, want := range map[string]bool{"old.txt": true, "a.txt": false, "b.txt": false, "c.txt": false} {
		if inc, err := s.Incomplete(o); inc != want || err != nil {
			t.Errorf("%s: incomplete %v, %v; want %v", o, inc, err, want)
		}
	}
	if _, ok, _ := s.Get("c.txt"); !ok {
		t.Error("Unmark lost the record of a job that ran")
	}
}

// A deferred write is committed by the next write, by the flush timer when
// nothing else writes, and by Close; a read sees it at once.
func TestDeferredWrites(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{})
	must(t, s.MarkIncomplete([]string{"a", "b", "c"}, "job"))
	must(t, s.Finish([]string{"a"}, Record{Rule: "r"}))
	if s.deferred.Load() != 1 {
		t.Fatalf("Finish was not deferred: %d queued", s.deferred.Load())
	}
	must(t, s.MarkIncomplete([]string{"x"}, "next job")) // takes it along
	if n := s.deferred.Load(); n != 0 {
		t.Errorf("%d deferred writes after the next commit", n)
	}
	must(t, s.Finish([]string{"b"}, Record{Rule: "r"}))
	deadline := time.Now().Add(10 * FlushDelay)
	for s.deferred.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(FlushDelay / 10)
	}
	if n := s.deferred.Load(); n != 0 {
		t.Errorf("the flush timer left %d deferred writes", n)
	}
	must(t, s.Fail([]string{"c"}))
	if inc, _ := s.Incomplete("c"); inc {
		t.Error("a read did not see the deferred Fail")
	}
	must(t, s.Finish([]string{"x"}, Record{Rule: "r"}))
	must(t, s.Close())
	if err := s.Finish([]string{"y"}, Record{}); err == nil {
		t.Error("Finish after Close did not fail")
	}
	s = openStore(t, dir, OpenOptions{ReadOnly: true})
	for _, o := range []string{"a", "b", "x"} {
		if _, ok, _ := s.Get(o); !ok {
			t.Errorf("record of %s lost", o)
		}
		if inc, _ := s.Incomplete(o); inc {
			t.Errorf("%s still marked", o)
		}
	}
	if inc, _ := s.Incomplete("c"); inc {
		t.Error("Fail lost")
	}
}

// Deferred writes that come faster than the timer commits them are
// committed by their writers once maxDeferred wait, from any number of
// goroutines, and none is lost.
func TestDeferredWritesBounded(t *testing.T) {
	dir := metaDir(t)
	s := openStore(t, dir, OpenOptions{})
	const writers, each = 4, maxDeferred
	var wg sync.WaitGroup
	var most atomic.Int32
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Finish([]string{fmt.Sprintf("out/%d-%d", w, i)}, Record{Rule: "r"}); err != nil {
					t.Error(err)
					return
				}
				if n := s.deferred.Load(); n > most.Load() {
					most.Store(n)
				}
			}
		})
	}
	wg.Wait()
	// Counted are the batch being committed and the queue behind it,
	// each at most maxDeferred and a write per writer.
	if m, bound := most.Load(), int32(2*(maxDeferred+writers)); m > bound {
		t.Errorf("%d deferred writes waited at once; the bound is %d", m, bound)
	}
	must(t, s.Close())
	s = openStore(t, dir, OpenOptions{ReadOnly: true})
	paths, err := s.All()
	must(t, err)
	if len(paths) != writers*each {
		t.Errorf("%d records after %d Finish calls", len(paths), writers*each)
	}
}
