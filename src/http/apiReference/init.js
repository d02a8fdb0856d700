// Starts Swagger UI on the server's own OpenAPI document. A file rather than an inline script: the
// Content-Security-Policy (helmet) allows same-origin scripts only.
window.addEventListener("load", () => {
  window.ui = globalThis.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from the public validator service: the page talks to this server only.
    validatorUrl: null,
  });
});
