package domain

import "regexp"

// linkRE finds links: a scheme, or www., or a bare domain with a common
// top-level domain followed by a path.
var linkRE = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s]+|\b[a-z0-9-]+\.(?:com|net|org|io|ru|xyz|top|info|biz|click|link|ly)/[^\s]*`)

// CountLinks counts the links in text.
func CountLinks(text string) int { return len(linkRE.FindAllStringIndex(text, -1)) }
