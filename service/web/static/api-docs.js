// Starts the API's documentation pages (service/api/docs.py). A file rather than an inline
// script, so /docs and /redoc run under a Content-Security-Policy of script-src 'self'.
(function () {
  "use strict";
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.ui = window.SwaggerUIBundle({
      url: swagger.dataset.openapiUrl,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      validatorUrl: null, // never ask validator.swagger.io
      presets: [
        window.SwaggerUIBundle.presets.apis,
        window.SwaggerUIBundle.SwaggerUIStandalonePreset,
      ],
    });
  }
  // ReDoc leaves the page's own margins alone
  document.body.style.margin = "0";
})();
