// Form helpers without inline handlers: copy buttons beside read-only fields, confirmation of destructive posts.

export function wireCopyButtons (root) {
  root.addEventListener('click', async (event) => {
    const button = event.target.closest && event.target.closest('button.copy[data-copy]')
    if (!button) return
    const field = document.getElementById(button.dataset.copy)
    const status = button.parentElement.querySelector('.copy-status')
    if (!field) return
    try {
      await navigator.clipboard.writeText(field.value)
      if (status) status.textContent = 'Copied'
    } catch {
      field.focus()
      field.select()
      if (status) status.textContent = 'Selected: press Ctrl+C (⌘C) to copy'
    }
  })
}

export function wireConfirmations (root) {
  root.addEventListener('submit', (event) => {
    const form = event.target
    const question = form instanceof HTMLFormElement && form.dataset.confirm
    if (question && !window.confirm(question)) event.preventDefault()
  })
}
