// Package attachments stores the files users attach to messages: upload
// (streamed, type sniffed from the bytes, thumbnails for images), signed
// expiring download links served without Authorization, members-only
// metadata, and the clean-up of uploads never attached. Blobs live behind
// a port: the local disk by default, or any S3-compatible store.
package attachments
