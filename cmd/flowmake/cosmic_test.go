package main

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The cosmic example on a small grid: 4 frames of 32x32, a second or two per job.
var cosmicSmall = []string{"--config", "grid=32", "frames=4"}

const cosmicFrames = 4

// cosmicOutputs are the files the small run makes, each to be byte-identical
// between runs, -j1 and -j4, and flowmake and Snakemake.
func cosmicOutputs() []string {
	out := []string{"data/density.npy", "data/potential.npy", "movie.gif"}
	for i := 0; i < cosmicFrames; i++ {
		n := strconv.Itoa(i)
		out = append(out, "structure/"+n+"/nodes.npy", "structure/"+n+"/filaments.npy",
			"logs/structure_"+n+".log", "frames/frame_"+n+".png")
	}
	return out
}

// cosmicEnv returns the environment for running the example: PATH leads to
// a python3 that has numpy, scipy and matplotlib. Debian's packages (what
// scripts/setup.sh installs) belong to /usr/bin/python3, and a pyenv or
// virtualenv python3 earlier on PATH lacks them; flowmake runs `python3`.
// Without the packages or ImageMagick the test skips, unless CI is set
// (setup.sh installs them there).
func cosmicEnv(t *testing.T) []string {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("the cosmic example needs %s (scripts/setup.sh installs it)", what)
		}
		t.Skipf("the cosmic example needs %s; scripts/setup.sh installs it", what)
	}
	if out, err := osexec.Command("convert", "-version").Output(); err != nil || !bytes.Contains(out, []byte("ImageMagick")) {
		missing("ImageMagick's convert")
	}
	env := append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	const probe = "import numpy, scipy.spatial, matplotlib"
	if osexec.Command("python3", "-c", probe).Run() == nil {
		return env
	}
	if osexec.Command("/usr/bin/python3", "-c", probe).Run() != nil {
		missing("python3 with numpy, scipy and matplotlib")
	}
	shim := t.TempDir()
	if err := os.Symlink("/usr/bin/python3", filepath.Join(shim, "python3")); err != nil {
		t.Fatal(err)
	}
	return append(env, "PATH="+shim+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// copyCosmic copies the example's sources (not what a demo run left
// beside them) into a temporary directory. It names the files instead of
// asking git, so it works as well before they are committed.
func copyCosmic(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "examples", "cosmic")
	scripts, err := filepath.Glob(filepath.Join(src, "scripts", "*.py"))
	if err != nil || len(scripts) < 4 {
		t.Fatalf("examples/cosmic/scripts: %d scripts, %v", len(scripts), err)
	}
	dst := t.TempDir()
	for _, p := range append([]string{filepath.Join(src, "Rulefile"), filepath.Join(src, "Snakefile")}, scripts...) {
		rel, _ := filepath.Rel(src, p)
		writeFile(t, filepath.Join(dst, rel), readFile(t, p))
	}
	return dst
}

// command is a process to run in dir with env, its output captured.
type command struct {
	cmd       *osexec.Cmd
	out, errb bytes.Buffer
}

func newCommand(dir string, env []string, name string, args ...string) *command {
	c := &command{cmd: osexec.Command(name, args...)}
	c.cmd.Dir, c.cmd.Env = dir, env
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.errb
	return c
}

// runAll starts the commands together and waits for them all; it fails
// the test unless each exits 0. Two single-slot runs side by side use
// both of a small machine's cores.
func runAll(t *testing.T, cmds ...*command) {
	t.Helper()
	start := time.Now()
	for _, c := range cmds {
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var failed []string
	for _, c := range cmds {
		if err := c.cmd.Wait(); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(c.cmd.Args, " "), err, c.out.String(), c.errb.String()))
		}
	}
	if failed != nil {
		t.Fatal(strings.Join(failed, "\n"))
	}
	var names []string
	for _, c := range cmds {
		names = append(names, filepath.Base(c.cmd.Path)+" "+strings.Join(c.cmd.Args[1:], " "))
	}
	t.Logf("%s: %.1fs", strings.Join(names, " beside "), time.Since(start).Seconds())
}

// runIn runs one command and returns its stdout and stderr.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) (string, string) {
	t.Helper()
	c := newCommand(dir, env, name, args...)
	runAll(t, c)
	return c.out.String(), c.errb.String()
}

func TestCosmic(t *testing.T) {
	env := cosmicEnv(t)
	dir := copyCosmic(t)
	run := func(args ...string) string {
		t.Helper()
		_, stderr := runIn(t, dir, env, flowmakeBin, append(args, cosmicSmall...)...)
		return stderr
	}

	stderr := run("-j4")
	want := "all initial movie plot plot plot plot potential structure structure structure structure"
	if got := strings.Join(ranRules(stderr), " "); got != want {
		t.Fatalf("first run ran %s, want %s\n%s", got, want, stderr)
	}
	checkMovie(t, dir)
	first := cosmicSnapshot(t, dir)

	stderr = run("-j4")
	if got := ranRules(stderr); len(got) != 0 || !strings.Contains(stderr, "Nothing to be done.") {
		t.Errorf("second run ran %v:\n%s", got, stderr)
	}

	// The code trigger: a changed plot script reruns the plots and what
	// needs them, nothing upstream. The change is a comment, so the
	// outputs come out the same, byte for byte.
	plot := filepath.Join(dir, "scripts", "plot.py")
	writeFile(t, plot, readFile(t, plot)+"# a comment changes the script's text\n")
	stderr = run("-j4")
	if got, want := strings.Join(ranRules(stderr), " "), "all movie plot plot plot plot"; got != want {
		t.Errorf("after editing plot.py ran %s, want %s\n%s", got, want, stderr)
	}
	sameFiles(t, "a rerun", first, cosmicSnapshot(t, dir))

	// --config frames=N changes the number of frames (and every frame's time).
	dry, _ := runIn(t, dir, env, flowmakeBin, "-n", "--config", "grid=32", "frames=20")
	if !strings.Contains(dry, "frames/frame_19.png") || strings.Contains(dry, "frames/frame_20.png") {
		t.Errorf("--config frames=20: the dry run does not plan frames 0 to 19:\n%s", dry)
	}

	// The same workflow with one job at a time, and by Snakemake from the
	// Snakefile, side by side: the same bytes.
	serial := copyCosmic(t)
	cmds := []*command{newCommand(serial, env, flowmakeBin, append([]string{"-j1"}, cosmicSmall...)...)}
	var sm string
	if _, err := osexec.LookPath("snakemake"); err == nil {
		sm = copyCosmic(t)
		cmds = append(cmds, newCommand(sm, env, "snakemake", append([]string{"-c1"}, cosmicSmall...)...))
	} else {
		t.Log("snakemake is not installed: the Snakefile is not compared")
	}
	runAll(t, cmds...)
	sameFiles(t, "-j1 against -j4", first, cosmicSnapshot(t, serial))
	if sm != "" {
		sameFiles(t, "Snakemake against flowmake", first, cosmicSnapshot(t, sm))
	}
}

// cosmicSnapshot reads the example's outputs in dir.
func cosmicSnapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, rel := range cosmicOutputs() {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		files[rel] = b
	}
	return files
}

func sameFiles(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	for _, rel := range cosmicOutputs() {
		if !bytes.Equal(want[rel], got[rel]) {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, rel, len(got[rel]), len(want[rel]))
		}
	}
}

// checkMovie decodes movie.gif and checks it has a frame per PNG, in frame
// order: GIF frame k is nearer to frame_k.png than to any other PNG (the
// GIF's palette changes the colours a little, so equality cannot be asked).
func checkMovie(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "movie.gif"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("movie.gif: %v", err)
	}
	if len(g.Image) != cosmicFrames {
		t.Fatalf("movie.gif has %d frames, want %d", len(g.Image), cosmicFrames)
	}
	pngs := make([]*image.RGBA, cosmicFrames)
	for i := range pngs {
		pf, err := os.Open(filepath.Join(dir, "frames", "frame_"+strconv.Itoa(i)+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(pf)
		pf.Close()
		if err != nil {
			t.Fatalf("frame_%d.png: %v", i, err)
		}
		pngs[i] = toRGBA(img)
	}
	for k, frame := range g.Image {
		if frame.Bounds() != pngs[0].Bounds() {
			t.Fatalf("GIF frame %d is %v, the PNGs %v", k, frame.Bounds(), pngs[0].Bounds())
		}
		gf := toRGBA(frame)
		best, bestDiff := -1, int64(-1)
		for i, p := range pngs {
			if d := imageDiff(gf, p); bestDiff < 0 || d < bestDiff {
				best, bestDiff = i, d
			}
		}
		if best != k {
			t.Errorf("GIF frame %d looks like frame_%d.png: the frames are out of order", k, best)
		}
	}
}

func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

// imageDiff is the sum of absolute differences of the colour channels.
func imageDiff(a, b *image.RGBA) int64 {
	var sum int64
	for i := 0; i < len(a.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			d := int64(a.Pix[i+c]) - int64(b.Pix[i+c])
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	return sum
}
