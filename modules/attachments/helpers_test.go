package attachments_test

import (
	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/attachments"
)

// newEngine mounts the module's routes; auth passes nobody (the content
// links need none).
func newEngine(m *attachments.Module) *gin.Engine {
	e := gin.New()
	deny := func(c *gin.Context) { c.AbortWithStatus(401) }
	m.Routes(e, deny, func(*gin.Context) {})
	return e
}
