package httpload

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

// TestMultipartBody: the upload body is well-formed multipart with roomId
// before the file, as the api requires.
func TestMultipartBody(t *testing.T) {
	for _, ep := range []string{Upload, UploadImage} {
		file, name, err := uploadFile(Config{Endpoint: ep, UploadBytes: 1000})
		if err != nil {
			t.Fatal(err)
		}
		body, ct := multipartBody("room-1", name, file)
		_, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var got []string
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p)
			got = append(got, p.FormName())
			if p.FormName() == "roomId" && string(b) != "room-1" || p.FormName() == "file" && (!bytes.Equal(b, file) || p.FileName() != name) {
				t.Errorf("%s: part %s wrong", ep, p.FormName())
			}
		}
		if len(got) != 2 || got[0] != "roomId" || got[1] != "file" {
			t.Errorf("%s: parts %v", ep, got)
		}
	}
}
