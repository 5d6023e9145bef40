/* "Test connection" on the plugin's settings page: posts what the form holds now (the saved
   secrets stand in for blank fields on the server) and shows the answer next to the button. */
$(document).on('click', '#seikyu-test-connection', function() {
  var button = $(this);
  var result = $('#seikyu-connection-result');
  button.prop('disabled', true);
  result.text(button.data('testing'));
  $.ajax({url: button.data('url'), type: 'post', data: button.closest('form').serialize(), dataType: 'html'})
    .done(function(html) { result.html(html); })
    .fail(function(xhr) { result.text(button.data('failed') + ' (HTTP ' + xhr.status + ')'); })
    .always(function() { button.prop('disabled', false); });
});
