package httpload

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
)

// boundary separates the parts of every upload body.
const boundary = "chatforge-load-boundary-7e3f1c"

// uploadFile is the file every upload of the run sends: UploadBytes of
// random bytes (application/octet-stream once sniffed), or a 640x480 PNG.
func uploadFile(cfg Config) (data []byte, name string, err error) {
	if cfg.Endpoint == UploadImage {
		img := image.NewNRGBA(image.Rect(0, 0, 640, 480))
		rng := rand.New(rand.NewPCG(1, 2))
		for y := range 480 {
			for x := range 640 {
				img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: uint8(rng.IntN(64)), A: 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return nil, "", err
		}
		return b.Bytes(), "photo.png", nil
	}
	if cfg.UploadBytes <= 0 {
		return nil, "", errors.New("upload: -upload-bytes must be positive")
	}
	data = make([]byte, cfg.UploadBytes)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	data[0] = 0 // a binary file, whatever the random head looks like
	return data, "data.bin", nil
}

// multipartBody is an upload's body: roomId, then the file.
func multipartBody(roomID, name string, file []byte) (body []byte, contentType string) {
	b := make([]byte, 0, len(file)+512)
	b = append(b, "--"+boundary+"\r\nContent-Disposition: form-data; name=\"roomId\"\r\n\r\n"...)
	b = append(b, roomID...)
	b = append(b, "\r\n--"+boundary+"\r\nContent-Disposition: form-data; name=\"file\"; filename=\""...)
	b = append(b, name...)
	b = append(b, "\"\r\nContent-Type: application/octet-stream\r\n\r\n"...)
	b = append(b, file...)
	b = append(b, "\r\n--"+boundary+"--\r\n"...)
	return b, "multipart/form-data; boundary=" + boundary
}
