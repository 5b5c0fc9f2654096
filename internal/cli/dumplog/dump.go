package dumplog

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
)

// dumper holds the state of one run: the streams, whether any corruption
// was seen, and the problems Kafka collects while dumping and prints on
// stderr at the end.
type dumper struct {
	o       *Options
	out     *bufio.Writer
	errOut  io.Writer
	json    bool
	corrupt bool

	indexMismatches *pairsByFile // offset index entry vs. batch at its position
	nonConsecutive  *pairsByFile // record offsets that do not follow each other
	tsMismatch      *pairsByFile // time index timestamp vs. the batch's max
	tsOutOfOrder    *pairsByFile // time index timestamps that go backwards
	tsNotFound      *pairsByFile // time index offsets with no batch ending there
}

func newDumper(o *Options) *dumper {
	return &dumper{
		o:               o,
		out:             bufio.NewWriterSize(o.IO.Out, 64<<10),
		errOut:          o.IO.ErrOut,
		json:            o.Output == "json",
		indexMismatches: &pairsByFile{},
		nonConsecutive:  &pairsByFile{},
		tsMismatch:      &pairsByFile{},
		tsOutOfOrder:    &pairsByFile{},
		tsNotFound:      &pairsByFile{},
	}
}

// warnf prints one line on stderr, after flushing stdout so the two
// streams interleave sensibly on a terminal.
func (d *dumper) warnf(format string, args ...any) {
	_ = d.out.Flush()
	fmt.Fprintf(d.errOut, format+"\n", args...)
}

// corruptf reports damage in a file: the run will exit 1.
func (d *dumper) corruptf(format string, args ...any) {
	d.corrupt = true
	d.warnf(format, args...)
}

func (d *dumper) dumpAll(ctx context.Context) error {
	defer d.out.Flush()
	for _, arg := range d.o.fileList {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := javaPath(arg)
		if !d.json {
			fmt.Fprintf(d.out, "Dumping %s\n", path)
		}
		name := javaName(path)
		suffix := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			suffix = name[i:]
		}
		var err error
		switch suffix {
		case ".log", ".checkpoint":
			err = d.dumpLog(path, name)
		case ".index":
			err = d.dumpIndex(path, name)
		case ".timeindex":
			err = d.dumpTimeIndex(path, name)
		case ".snapshot":
			err = d.dumpProducerSnapshot(path)
		case ".txnindex":
			err = d.dumpTxnIndex(path)
		default:
			d.warnf("Ignoring unknown file %s", path)
		}
		if err != nil {
			// Like Kafka, an unreadable file ends the run.
			_ = d.out.Flush()
			return errorf("%v", err)
		}
	}
	return nil
}

// printCollected prints, on stderr and in Kafka's order and wording, the
// problems gathered while dumping.
func (d *dumper) printCollected() {
	_ = d.out.Flush()
	w := d.errOut
	// Kafka prepends to an immutable list, so the latest comes first.
	for _, f := range d.indexMismatches.scalaOrder() {
		fmt.Fprintf(w, "Mismatches in :%s\n", f)
		ps := d.indexMismatches.pairs[f]
		for i := len(ps) - 1; i >= 0; i-- {
			fmt.Fprintf(w, "  Index offset: %d, log offset: %d\n", ps[i][0], ps[i][1])
		}
	}
	for _, f := range d.tsMismatch.scalaOrder() {
		fmt.Fprintf(w, "Found timestamp mismatch in :%s\n", f)
		for _, p := range d.tsMismatch.pairs[f] {
			fmt.Fprintf(w, "  Index timestamp: %d, log timestamp: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.tsOutOfOrder.scalaOrder() {
		fmt.Fprintf(w, "Found out of order timestamp in :%s\n", f)
		for _, p := range d.tsOutOfOrder.pairs[f] {
			fmt.Fprintf(w, "  Index timestamp: %d, Previously indexed timestamp: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.tsNotFound.scalaOrder() {
		fmt.Fprintln(w, "The following indexed offsets are not found in the log.")
		for _, p := range d.tsNotFound.pairs[f] {
			fmt.Fprintf(w, "Indexed offset: %d, found log offset: %d\n", p[0], p[1])
		}
	}
	for _, f := range d.nonConsecutive.scalaOrder() {
		fmt.Fprintf(w, "Non-consecutive offsets in %s\n", f)
		ps := d.nonConsecutive.pairs[f]
		for i := len(ps) - 1; i >= 0; i-- {
			fmt.Fprintf(w, "  %d is followed by %d\n", ps[i][0], ps[i][1])
		}
	}
}

// pairsByFile collects (a, b) pairs per absolute file path.
type pairsByFile struct {
	files []string
	pairs map[string][][2]int64
}

func (p *pairsByFile) add(file string, a, b int64) {
	if p.pairs == nil {
		p.pairs = map[string][][2]int64{}
	}
	if _, ok := p.pairs[file]; !ok {
		p.files = append(p.files, file)
	}
	p.pairs[file] = append(p.pairs[file], [2]int64{a, b})
}

// scalaOrder returns the files in the order a Scala 2.13 mutable.HashMap
// with these keys, inserted in this order, iterates them, which is the
// order Kafka prints its per-file reports in.
func (p *pairsByFile) scalaOrder() []string {
	hashes := make([]int32, len(p.files))
	for i, f := range p.files {
		hashes[i] = cli.JavaStringHash(f)
	}
	return cli.ScalaHashOrder(p.files, hashes, nil)
}

// javaPath renders a path as java.io.File.toString does on Unix: repeated
// slashes collapse and a trailing slash is dropped.
func javaPath(p string) string {
	var b strings.Builder
	prevSlash := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(c)
	}
	s := b.String()
	if len(s) > 1 && strings.HasSuffix(s, "/") {
		s = s[:len(s)-1]
	}
	return s
}

// javaName is java.io.File.getName: the part after the last slash.
func javaName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// javaAbsPath is java.io.File.getAbsolutePath: the path itself when
// absolute, else the working directory and the path joined by a slash,
// without cleaning "." or "..".
func javaAbsPath(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if p == "" {
		return wd
	}
	return javaPath(wd + "/" + p)
}

// javaParent is java.io.File.getParent of an absolute path.
func javaParent(abs string) string {
	i := strings.LastIndexByte(abs, '/')
	if i <= 0 {
		return "/"
	}
	return abs[:i]
}

// stem is the part of a file name before its first dot, which Kafka parses
// as the base offset and uses to find a segment's sibling files.
func stem(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}
