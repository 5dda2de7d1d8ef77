package domain

import (
	"bytes"
	"errors"
	"image"
	_ "image/gif" // decoders for image.Decode
	"image/jpeg"
	_ "image/png"
	"io"

	"golang.org/x/image/draw"
)

// Thumbnail bounds: the longest side of a thumbnail, and the largest image
// decoded to make one (checked from the header before decoding, so a small
// file that declares a huge canvas is never expanded in memory).
const (
	ThumbSide      = 320
	MaxThumbPixels = 40_000_000
)

// ErrNoThumbnail: the image is not decodable or too large to thumbnail.
var ErrNoThumbnail = errors.New("no thumbnail")

// ThumbnailTypes are the types thumbnails are made for.
var ThumbnailTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true}

// Thumbnail reads the image r holds and returns a JPEG at most ThumbSide
// on its longest side. open must return a fresh reader of the same bytes
// (the header is read first, then the image).
func Thumbnail(open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(rc)
	rc.Close()
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxThumbPixels {
		return nil, ErrNoThumbnail
	}
	if rc, err = open(); err != nil {
		return nil, err
	}
	defer rc.Close()
	src, _, err := image.Decode(rc)
	if err != nil {
		return nil, ErrNoThumbnail
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > ThumbSide || h > ThumbSide {
		if w >= h {
			w, h = ThumbSide, max(1, h*ThumbSide/w)
		} else {
			w, h = max(1, w*ThumbSide/h), ThumbSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src) // transparency on white
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
