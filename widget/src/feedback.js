// The lazily loaded chunk's entry: the survey and policy UI with their styles, handed to the core script.

import css from './feedback.css'
import { english } from './i18n.js'
import { reset, take } from './policy.js'
import { addCss } from './styles.js'
import { survey } from './survey.js'

const EN = {
  accept: 'Accept',
  decline: 'Decline',
  submit: 'Submit',
  low: 'Not at all likely',
  high: 'Extremely likely',
  score: 'Choose a score from 0 to 10.',
  perr: 'Your choice could not be recorded ({s}).',
  psave: 'Your choice could not be saved. Please try again.',
  pretry: 'Saving your choice… (retrying)'
}

english(EN)
addCss(css)
window.waymark._fb = { survey, take, reset }
