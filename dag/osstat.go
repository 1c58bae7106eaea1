package dag

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowmake/flowmake/workdir"
)

// OSStat is the real disk: names are job paths, which workdir.Dir(dir)
// turns into OS paths ("" means the process's working directory). It can
// also list a directory, which error messages use for "did you mean".
func OSStat(dir string) Stat {
	st := osStat{dir: workdir.Dir(dir)}
	if dir != "" && dir != "." && dir != string(filepath.Separator) && filepath.Clean(dir) == dir {
		st.prefix = dir + string(filepath.Separator)
	}
	return st
}

type osStat struct {
	dir workdir.Dir
	// prefix is dir and a separator when dir is clean and neither "",
	// "." nor the root: then a clean relative name that does not start
	// with ".." has dir.Path(name) == prefix+name (see joined).
	prefix string
}

func (d osStat) Stat(name string) (fs.FileInfo, error) { return os.Stat(d.dir.Path(name)) }

func (d osStat) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.dir.Path(name)) }

// joined reports whether d.dir.Path(name) is d.prefix+name (or name
// itself for the working directory, "" or "."), so a caller may build
// the path without Join's copy and Clean's scan of the whole: name is
// clean, relative, not "." and does not climb out with "..".
func (d osStat) joined(name string) bool {
	if name == "" || name == "." || name == ".." || filepath.IsAbs(name) ||
		strings.HasPrefix(name, ".."+string(filepath.Separator)) || filepath.Clean(name) != name {
		return false
	}
	return d.prefix != "" || d.dir == "" || d.dir == "."
}
